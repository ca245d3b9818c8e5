package dev.spillway.proxy.config;

/** A configuration value that stops start-up; the message names the variable and what to fix. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String variable, String problem) {
        super(variable + ": " + problem);
    }
}
