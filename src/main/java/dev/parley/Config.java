package dev.parley;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads {@code parley.*} settings and refuses impossible values at start-up, naming the property,
 * the environment variable that overrides it, and what it accepts.
 */
public final class Config {

    private final Function<String, String> lookup;

    public Config(Function<String, String> lookup) {
        this.lookup = lookup;
    }

    /** The raw lookup, for engines that read their own keys. */
    public Function<String, String> lookup() {
        return lookup;
    }

    /** The environment variable that overrides a property: upper case, dots and dashes as underscores. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String string(String key, String fallback) {
        String value = lookup.apply(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    public int integer(String key, int fallback, int min, int max) {
        String value = string(key, null);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below, with the accepted range
        }
        throw invalid(key, value, "a whole number from " + min + " to " + max);
    }

    public boolean bool(String key, boolean fallback) {
        String value = string(key, null);
        if (value == null) {
            return fallback;
        }
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        throw invalid(key, value, "true or false");
    }

    public Duration seconds(String key, long fallback, long min, long max) {
        return Duration.ofSeconds(integer(key, (int) fallback, (int) min, (int) max));
    }

    public Duration millis(String key, long fallback, long min, long max) {
        return Duration.ofMillis(integer(key, (int) fallback, (int) min, (int) max));
    }

    public static IllegalArgumentException invalid(String key, String value, String accepted) {
        return new IllegalArgumentException("Invalid setting " + key + "=" + value + " (env " + envName(key)
                + "): expected " + accepted + ". Change it in application.properties or the environment.");
    }
}
