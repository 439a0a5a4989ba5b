package dev.parley.telephony;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Caller metadata from a platform's parameters, made safe to keep: at most 20 keys (and the platform's ids), short values. */
public final class Metadata {

    private static final Pattern KEY = Pattern.compile("[a-z0-9_-]{1,40}");
    private static final int MAX_ENTRIES = 20;
    private static final int MAX_VALUE = 200;

    private final Map<String, String> entries = new LinkedHashMap<>();

    /** Adds a value if there is room and the key (lower-cased, other characters as {@code _}) is usable. */
    public Metadata put(String key, String value) {
        String k = key(key);
        if (k != null && value != null && (entries.size() < MAX_ENTRIES || entries.containsKey(k))) {
            entries.put(k, value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) : value);
        }
        return this;
    }

    /**
     * Adds an id the platform gave the call (a leg's call or stream id): kept even when callers'
     * parameters have filled the 20 entries, which are for what callers send.
     */
    public Metadata putId(String key, String value) {
        String k = key(key);
        if (k != null && value != null) {
            entries.put(k, value.length() > MAX_VALUE ? value.substring(0, MAX_VALUE) : value);
        }
        return this;
    }

    /** As {@link #put}, unless the key already has a value. */
    public Metadata putIfAbsent(String key, String value) {
        String k = key(key);
        return k == null || entries.containsKey(k) ? this : put(k, value);
    }

    private static String key(String key) {
        if (key == null) {
            return null;
        }
        String k = key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9_-]", "_");
        return KEY.matcher(k).matches() ? k : null;
    }

    public Map<String, String> toMap() {
        return Map.copyOf(entries);
    }
}
