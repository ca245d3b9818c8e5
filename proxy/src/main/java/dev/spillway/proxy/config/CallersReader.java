package dev.spillway.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spillway.proxy.state.QuotaPeriod;
import dev.spillway.proxy.state.TokenLimits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads {@code SPILLWAY_CALLERS}. Every mistake stops start-up with a line naming the caller and the
 * field; no message ever contains a key, only which callers share one.
 */
final class CallersReader {

    static final String CALLERS = "SPILLWAY_CALLERS";
    private static final Set<String> FIELDS = Set.of("name", "apiKeys", "principals", "tokensPerMinute", "tokenQuota", "tokenQuotaPeriod");
    /** A name goes into response headers, metric labels and reports as it is. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String EXAMPLE = "[{\"name\":\"team-a\",\"apiKeys\":[\"...\"],\"tokensPerMinute\":20000,"
            + "\"tokenQuota\":5000000,\"tokenQuotaPeriod\":\"monthly\"}]";

    private final ObjectMapper json;

    CallersReader(ObjectMapper json) {
        this.json = json;
    }

    /** @param plainKeys the keys of {@code SPILLWAY_API_KEYS}, which have no caller: a caller may not share one */
    List<CallerConfig> read(String text, List<String> plainKeys) {
        JsonNode root;
        try {
            root = json.readTree(text);
        } catch (JsonProcessingException e) {
            // The parser's message may quote the text, keys and all.
            throw new ConfigException(CALLERS, "not valid JSON (at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + "); expected an array such as " + EXAMPLE);
        }
        if (root == null || !root.isArray()) {
            throw new ConfigException(CALLERS, "expected a JSON array of callers, such as " + EXAMPLE);
        }
        List<CallerConfig> callers = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, String> keyOwners = new HashMap<>();
        plainKeys.forEach(key -> keyOwners.put(key, null));
        Map<String, String> principalOwners = new HashMap<>();
        for (int i = 0; i < root.size(); i++) {
            CallerConfig caller = caller(root.get(i), i);
            if (names.put(caller.name().toLowerCase(Locale.ROOT), caller.name()) != null) {
                throw new ConfigException(CALLERS, "caller name '" + caller.name() + "' is used twice; names must be unique");
            }
            for (String key : caller.apiKeys()) {
                if (keyOwners.containsKey(key)) {
                    String owner = keyOwners.get(key);
                    throw new ConfigException(CALLERS, "caller '" + caller.name() + "' has an API key that "
                            + (owner == null ? "SPILLWAY_API_KEYS also lists" : owner.equals(caller.name()) ? "it lists twice" : "caller '" + owner + "' has too")
                            + "; each key must identify one caller");
                }
                keyOwners.put(key, caller.name());
            }
            for (String principal : caller.principals()) {
                String owner = principalOwners.put(principal, caller.name());
                if (owner != null) {
                    throw new ConfigException(CALLERS, "principal " + principal + " is listed by caller '" + owner + "'"
                            + (owner.equals(caller.name()) ? " twice" : " and by caller '" + caller.name() + "'") + "; each must identify one caller");
                }
            }
            callers.add(caller);
        }
        return callers;
    }

    private CallerConfig caller(JsonNode node, int index) {
        String where = "caller #" + (index + 1);
        if (!node.isObject()) {
            throw new ConfigException(CALLERS, where + " must be a JSON object such as " + EXAMPLE.substring(1, EXAMPLE.length() - 1));
        }
        for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!FIELDS.contains(field)) {
                throw new ConfigException(CALLERS, where + " has unknown field \"" + field + "\"; allowed fields are "
                        + FIELDS.stream().sorted().collect(Collectors.joining(", ")));
            }
        }
        JsonNode nameNode = node.get("name");
        if (nameNode == null || !nameNode.isTextual() || !NAME.matcher(nameNode.asText()).matches()) {
            throw new ConfigException(CALLERS, where + " needs a \"name\" of letters, digits, '.', '_' or '-' (at most 64, starting "
                    + "with a letter or digit), such as \"team-a\"");
        }
        String name = nameNode.asText();
        where = "caller '" + name + "'";
        List<String> keys = strings(node, "apiKeys", where);
        List<String> principals = strings(node, "principals", where);
        if (keys.isEmpty() && principals.isEmpty()) {
            throw new ConfigException(CALLERS, where + " has neither \"apiKeys\" nor \"principals\", so no request could be its; give at least one");
        }
        long perMinute = positive(node, "tokensPerMinute", where);
        long quota = positive(node, "tokenQuota", where);
        QuotaPeriod period = period(node, where);
        if (quota != TokenLimits.NONE && period == null) {
            throw new ConfigException(CALLERS, where + " has \"tokenQuota\" but no \"tokenQuotaPeriod\"; add one of " + periods());
        }
        if (quota == TokenLimits.NONE && period != null) {
            throw new ConfigException(CALLERS, where + " has \"tokenQuotaPeriod\" but no \"tokenQuota\"; add the number of tokens per period");
        }
        return new CallerConfig(name, keys, principals, CallerConfig.limits(perMinute, quota, period));
    }

    private static List<String> strings(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new ConfigException(CALLERS, where + ": \"" + field + "\" must be an array of strings");
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isBlank() || !item.asText().equals(item.asText().strip())) {
                throw new ConfigException(CALLERS, where + ": every entry of \"" + field + "\" must be a non-empty string without "
                        + "surrounding spaces");
            }
            items.add(item.asText());
        }
        return items;
    }

    private static long positive(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return TokenLimits.NONE;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1) {
            throw new ConfigException(CALLERS, where + ": \"" + field + "\" must be a whole number of tokens, at least 1 (leave it out for "
                    + "no limit), got " + value);
        }
        return value.asLong();
    }

    private static QuotaPeriod period(JsonNode node, String where) {
        JsonNode value = node.get("tokenQuotaPeriod");
        if (value == null || value.isNull()) {
            return null;
        }
        try {
            if (!value.isTextual()) {
                throw new IllegalArgumentException();
            }
            return QuotaPeriod.valueOf(value.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(CALLERS, where + ": \"tokenQuotaPeriod\" must be one of " + periods() + ", got " + value);
        }
    }

    private static String periods() {
        return Arrays.stream(QuotaPeriod.values()).map(QuotaPeriod::label).collect(Collectors.joining(", "));
    }
}
