package dev.parley.translate;

import dev.parley.Config;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Builds the translator that {@code parley.translator} names; see {@link TranslatorSettings} for the keys. */
public final class Translators {

    private Translators() {
    }

    /**
     * @param lookup a property's value by key (null when unset)
     * @throws IllegalArgumentException for an unknown engine or a missing or invalid setting, naming
     *                                  the property and its environment variable
     */
    public static Translator create(Function<String, String> lookup) {
        return create(TranslatorSettings.fromProperties(lookup));
    }

    static Translator create(TranslatorSettings s) {
        return switch (s.engine()) {
            case "apertium" -> apertium(s);
            case "apy" -> new ApyTranslator(s.apyUrl(), s.timeout());
            case "libretranslate" -> new LibreTranslateTranslator(s.libreTranslateUrl(), s.libreTranslateApiKey(),
                    s.timeout());
            case "openai" -> new OpenAiTranslator(s.openAiBaseUrl(), s.openAiApiKey(), s.openAiModel(),
                    s.openAiLanguages(), s.timeout());
            case "deepl" -> new DeepLTranslator(s.deepLBaseUrl(), s.deepLApiKey(), s.timeout());
            default -> throw new IllegalStateException(s.engine()); // engine() accepts only the above
        };
    }

    private static Translator apertium(TranslatorSettings s) {
        var warm = s.apertiumWarmPairs();
        ApertiumTranslator translator = new ApertiumTranslator(s.apertiumModesDir(), s.apertiumPipelinesPerPair(),
                s.timeout());
        if (translator.pairs().isEmpty()) {
            translator.close();
            throw Config.invalid(TranslatorSettings.APERTIUM_MODES_DIR, s.apertiumModesDir().toString(),
                    "a directory with Apertium pair modes (install a pair such as apertium-eng-spa)");
        }
        for (String[] pair : warm) {
            try {
                translator.warmUp(pair[0], pair[1]);
            } catch (TranslationException e) {
                translator.close();
                throw Config.invalid(TranslatorSettings.APERTIUM_WARM_PAIRS, pair[0] + "-" + pair[1],
                        "installed pairs only: " + translator.pairs());
            }
        }
        return translator;
    }

    /**
     * The answer when there is nothing to translate (blank text, or the same language on both
     * sides), or null when the engine has work to do. Languages are already normalised.
     */
    static CompletableFuture<String> nothingToTranslate(String text, String from, String to) {
        if (text == null || text.isBlank()) {
            return CompletableFuture.completedFuture("");
        }
        return from.equals(to) ? CompletableFuture.completedFuture(text) : null;
    }
}
