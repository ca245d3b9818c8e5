package dev.spillway.stack.plan;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One resource the program would register: what {@code scripts/plan} prints.
 *
 * @param parent    the component it belongs to ({@code type::name}), or null at the top
 * @param dependsOn every resource it waits for ({@code type::name}): explicit dependsOn and inputs taken from others
 * @param aliases   former names that Pulumi matches against the state, so a rename does not replace it
 * @param deleteBeforeReplace whether a replacement deletes the old one first
 * @param ignoreChanges input properties whose changes Pulumi does not act on
 */
public record PlannedResource(String type, String name, JsonNode inputs, List<String> dependsOn, String parent,
                              List<String> aliases, boolean deleteBeforeReplace, List<String> ignoreChanges) {}
