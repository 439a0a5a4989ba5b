package dev.parley.translate;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Maps between ISO 639-1 codes ({@code en}), which Parley speaks, and ISO 639-3 codes ({@code eng}),
 * which Apertium names its pairs with. The table is the JDK's own (ISO 639-2/T, which equals 639-3
 * for every language that has a 639-1 code), minus its legacy aliases, plus Apertium's few codes
 * that the JDK does not know.
 */
public final class LanguageCodes {

    /** Legacy 639-1 codes the JDK still lists; their modern codes map to the same 639-3 code. */
    private static final Map<String, String> LEGACY = Map.of("iw", "he", "in", "id", "ji", "yi");

    /** Apertium codes without a JDK entry: Serbo-Croatian (hbs) and Iranian Persian (pes). */
    private static final Map<String, String> EXTRA_3_TO_1 = Map.of("hbs", "sh", "pes", "fa");

    private static final Map<String, String> ONE_TO_THREE = new HashMap<>();
    private static final Map<String, String> THREE_TO_ONE = new HashMap<>();

    static {
        for (String one : Locale.getISOLanguages()) {
            if (one.length() != 2 || LEGACY.containsKey(one)) {
                continue;
            }
            String three = Locale.forLanguageTag(one).getISO3Language();
            if (three.length() == 3) {
                ONE_TO_THREE.put(one, three);
                THREE_TO_ONE.put(three, one);
            }
        }
        THREE_TO_ONE.putAll(EXTRA_3_TO_1);
        ONE_TO_THREE.put("sh", "hbs");
    }

    private LanguageCodes() {
    }

    /**
     * {@code eng} -> {@code en} (a known ISO 639-1 code is returned as is); empty for codes with no
     * ISO 639-1 equivalent or with a variant ({@code cat_valencia}, {@code pt-BR}).
     */
    public static Optional<String> toIso1(String code) {
        if (code == null) {
            return Optional.empty();
        }
        String c = code.toLowerCase(Locale.ROOT);
        return Optional.ofNullable(c.length() == 2 ? (ONE_TO_THREE.containsKey(c) ? c : null) : THREE_TO_ONE.get(c));
    }

    /** {@code en} -> {@code eng}; empty for unknown codes. */
    public static Optional<String> toIso3(String iso1) {
        return Optional.ofNullable(iso1 == null ? null : ONE_TO_THREE.get(iso1.toLowerCase(Locale.ROOT)));
    }

    /**
     * The ISO 639-1 code a caller most likely means: lower case, region or script dropped
     * ({@code en-US}, {@code pt_BR} -> {@code en}, {@code pt}), 639-3 codes mapped ({@code spa} -> {@code es}).
     * Anything else is returned lower-cased, so that an unknown pair is reported with the caller's code.
     */
    public static String normalize(String code) {
        if (code == null) {
            return "";
        }
        String c = code.trim().toLowerCase(Locale.ROOT);
        int cut = indexOfSeparator(c);
        if (cut > 0) {
            c = c.substring(0, cut);
        }
        if (c.length() == 3) {
            return THREE_TO_ONE.getOrDefault(c, c);
        }
        return LEGACY.getOrDefault(c, c);
    }

    /** The language's English name ({@code es} -> {@code Spanish}), for prompts and messages. */
    public static String englishName(String iso1) {
        String name = Locale.forLanguageTag(normalize(iso1)).getDisplayLanguage(Locale.ENGLISH);
        return name.isEmpty() ? iso1 : name;
    }

    private static int indexOfSeparator(String c) {
        int dash = c.indexOf('-');
        int underscore = c.indexOf('_');
        if (dash < 0) {
            return underscore;
        }
        return underscore < 0 ? dash : Math.min(dash, underscore);
    }
}
