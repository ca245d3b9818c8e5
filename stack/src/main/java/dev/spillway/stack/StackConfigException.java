package dev.spillway.stack;

/** A configuration value the stack cannot use; the message names the key and what to change. */
public final class StackConfigException extends RuntimeException {

    public StackConfigException(String key, String problem) {
        super("spillway:" + key + " " + problem);
    }
}
