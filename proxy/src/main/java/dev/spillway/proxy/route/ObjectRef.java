package dev.spillway.proxy.route;

/**
 * An object a request names, in its path ({@code /responses/resp_1/input_items}) or its body
 * ({@code previous_response_id}, {@code input_file_id}, ...).
 */
public record ObjectRef(ObjectKind kind, String id) {}
