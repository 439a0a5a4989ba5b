package dev.parley.security;

import dev.parley.Config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The named staff keys of {@code parley.console.staff}: {@code name:key} pairs, comma-separated. Keys
 * are never printed and compared in constant time; a name is letters, digits, {@code . _ -} and
 * {@code @}, so that it reads safely in the audit log.
 */
public final class StaffKeys implements StaffSignIn {

    public static final String SETTING = "parley.console.staff";
    private static final int MIN_KEY_CHARS = 16;
    private static final String NAME = "[A-Za-z0-9._@-]{1,64}";

    private final Map<String, byte[]> keys;

    private StaffKeys(Map<String, byte[]> keys) {
        this.keys = Collections.unmodifiableMap(keys);
    }

    /** Parses {@code alice:key,bob:key}; an empty value has no staff, so nobody can sign in. */
    public static StaffKeys parse(String value) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        if (value != null) {
            for (String pair : value.split(",")) {
                String entry = pair.trim();
                if (entry.isEmpty()) {
                    continue;
                }
                int colon = entry.indexOf(':');
                String name = colon < 0 ? entry : entry.substring(0, colon).trim();
                String key = colon < 0 ? "" : entry.substring(colon + 1).trim();
                if (!name.matches(NAME)) {
                    throw Config.invalid(SETTING, "(hidden)", "name:key pairs, comma-separated, each name "
                            + NAME + " (got a name that is not)");
                }
                if (key.length() < MIN_KEY_CHARS) {
                    throw Config.invalid(SETTING, "(hidden)", "name:key pairs with keys of at least " + MIN_KEY_CHARS
                            + " characters, e.g. $(head -c 24 /dev/urandom | base64); " + name + "'s is shorter");
                }
                if (keys.put(name, key.getBytes(StandardCharsets.UTF_8)) != null) {
                    throw Config.invalid(SETTING, "(hidden)", "each staff name once; " + name + " repeats");
                }
            }
        }
        return new StaffKeys(keys);
    }

    /** True when somebody can sign in at all. */
    public boolean any() {
        return !keys.isEmpty();
    }

    @Override
    public Optional<String> verify(String name, String key) {
        if (name == null || key == null) {
            return Optional.empty();
        }
        byte[] expected = keys.get(name.trim());
        boolean ok = expected != null && MessageDigest.isEqual(expected, key.trim().getBytes(StandardCharsets.UTF_8));
        return ok ? Optional.of(name.trim()) : Optional.empty();
    }

    @Override
    public String toString() {
        return "StaffKeys" + keys.keySet();
    }
}
