package dev.parley.privacy;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** A kind of personal data that redaction replaces by its placeholder, e.g. {@code [CARD]}. */
public enum Entity {
    CARD, ACCOUNT, PHONE, EMAIL, DATE_OF_BIRTH, SSN;

    /** What stands in the text where the value was. */
    public String placeholder() {
        return "[" + name() + "]";
    }

    /**
     * The set named by a comma-separated list such as {@code card,phone,email} (case-insensitive),
     * as {@code parley.redaction.entities} holds it; an unknown name is refused with the known ones.
     */
    public static Set<Entity> parse(String names) {
        Set<Entity> set = EnumSet.noneOf(Entity.class);
        for (String name : names.split(",")) {
            String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (n.isEmpty()) {
                continue;
            }
            try {
                set.add(valueOf(n));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown entity '" + name.trim() + "'; known: "
                        + String.join(", ", EnumSet.allOf(Entity.class).stream()
                        .map(x -> x.name().toLowerCase(Locale.ROOT)).toList()));
            }
        }
        return set;
    }
}
