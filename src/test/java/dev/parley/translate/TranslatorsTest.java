package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The factory and its settings: engine choice, defaults, and errors that say what to change. */
class TranslatorsTest {

    private static Map<String, String> props(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static TranslatorSettings settings(Map<String, String> props, Map<String, String> env) {
        return TranslatorSettings.fromProperties(props::get, env::get);
    }

    private static String error(Map<String, String> props) {
        return assertThrows(IllegalArgumentException.class,
                () -> Translators.create(settings(props, Map.of())).close()).getMessage();
    }

    @Test
    void apertiumIsTheDefaultEngine() {
        assumeTrue(Files.isRegularFile(ApertiumTranslator.DEFAULT_MODES_DIR.resolve("eng-spa.mode")));
        try (Translator t = Translators.create(k -> null)) {
            assertEquals("apertium", t.name());
            assertTrue(t.pairs().get("en").contains("es"));
        }
    }

    @Test
    void defaultsAreTenSecondsOnePipelinePerPairAndGpt4oMini() {
        TranslatorSettings s = settings(Map.of(), Map.of());
        assertEquals(Duration.ofSeconds(10), s.timeout());
        assertEquals(1, s.apertiumPipelinesPerPair());
        assertEquals(URI.create("https://api.openai.com"), s.openAiBaseUrl());
        assertEquals("gpt-4o-mini", s.openAiModel());
        assertTrue(s.openAiLanguages().containsAll(List.of("en", "es", "fr", "de")));
        assertTrue(s.apertiumWarmPairs().isEmpty());
        assertNull(s.libreTranslateApiKey());
    }

    @Test
    void anUnknownEngineNamesThePropertyItsVariableAndTheChoices() {
        String m = error(props("parley.translator", "google"));
        assertTrue(m.contains("parley.translator=google") && m.contains("PARLEY_TRANSLATOR")
                && m.contains("apertium, apy, libretranslate, openai, deepl"), m);
    }

    @Test
    void apyWithoutAUrlNamesTheMissingProperty() {
        String m = error(props("parley.translator", "apy"));
        assertTrue(m.contains("parley.translator.apy.url") && m.contains("PARLEY_TRANSLATOR_APY_URL"), m);
    }

    @Test
    void libreTranslateWithoutAUrlNamesTheMissingProperty() {
        String m = error(props("parley.translator", "libretranslate"));
        assertTrue(m.contains("parley.translator.libretranslate.url")
                && m.contains("PARLEY_TRANSLATOR_LIBRETRANSLATE_URL"), m);
    }

    @Test
    void aUrlThatIsNotHttpNamesItsProperty() {
        String m = error(props("parley.translator", "apy", "parley.translator.apy.url", "localhost:2737"));
        assertTrue(m.contains("parley.translator.apy.url") && m.contains("http"), m);
    }

    @Test
    void openAiNeedsAKeyOnlyForTheOfficialHost() {
        String m = error(props("parley.translator", "openai"));
        assertTrue(m.contains("parley.translator.openai.api-key") && m.contains("PARLEY_TRANSLATOR_OPENAI_API_KEY")
                && m.contains("OPENAI_API_KEY"), m);
        try (Translator t = Translators.create(settings(props("parley.translator", "openai"),
                Map.of("OPENAI_API_KEY", "sk-from-env")))) {
            assertEquals("openai", t.name());
        }
        try (Translator t = Translators.create(settings(props("parley.translator", "openai",
                "parley.translator.openai.base-url", "http://127.0.0.1:8000/v1"), Map.of()))) {
            assertEquals("openai", t.name());
        }
    }

    @Test
    void aPropertyKeyWinsOverTheVendorVariable() {
        TranslatorSettings s = settings(props("parley.translator.openai.api-key", "sk-prop",
                "parley.translator.deepl.api-key", "d-prop"), Map.of("OPENAI_API_KEY", "sk-env", "DEEPL_API_KEY", "d-env"));
        assertEquals("sk-prop", s.openAiApiKey());
        assertEquals("d-prop", s.deepLApiKey());
    }

    @Test
    void openAiLanguagesMustBeIsoCodes() {
        String m = error(props("parley.translator", "openai", "parley.translator.openai.api-key", "k",
                "parley.translator.openai.languages", "en,klingon"));
        assertTrue(m.contains("parley.translator.openai.languages") && m.contains("klingon"), m);
    }

    @Test
    void deepLNeedsAKeyAndPicksTheHostFromIt() {
        String m = error(props("parley.translator", "deepl"));
        assertTrue(m.contains("parley.translator.deepl.api-key") && m.contains("DEEPL_API_KEY"), m);
        assertEquals(URI.create("https://api-free.deepl.com"),
                settings(Map.of(), Map.of("DEEPL_API_KEY", "k:fx")).deepLBaseUrl());
        assertEquals(URI.create("https://api.deepl.com"),
                settings(Map.of(), Map.of("DEEPL_API_KEY", "k")).deepLBaseUrl());
        assertEquals(URI.create("http://127.0.0.1:9"), settings(props("parley.translator.deepl.base-url",
                "http://127.0.0.1:9"), Map.of("DEEPL_API_KEY", "k")).deepLBaseUrl());
        try (Translator t = Translators.create(settings(props("parley.translator", "deepl"), Map.of("DEEPL_API_KEY", "k:fx")))) {
            assertEquals("deepl", t.name());
        }
    }

    @Test
    void aTimeoutOutOfRangeNamesItsProperty() {
        String m = error(props("parley.translator.timeout-ms", "5"));
        assertTrue(m.contains("parley.translator.timeout-ms") && m.contains("PARLEY_TRANSLATOR_TIMEOUT_MS"), m);
    }

    @Test
    void aModesDirectoryWithoutPairsNamesItsProperty(@TempDir Path empty) {
        String m = error(props("parley.translator.apertium.modes-dir", empty.toString()));
        assertTrue(m.contains("parley.translator.apertium.modes-dir") && m.contains("apertium-eng-spa"), m);
    }

    @Test
    void warmPairsMustBeInstalled() {
        assumeTrue(Files.isRegularFile(ApertiumTranslator.DEFAULT_MODES_DIR.resolve("eng-spa.mode")));
        String m = error(props("parley.translator.apertium.warm-pairs", "en-xx"));
        assertTrue(m.contains("parley.translator.apertium.warm-pairs") && m.contains("en-xx"), m);
        String bad = error(props("parley.translator.apertium.warm-pairs", "en"));
        assertTrue(bad.contains("en-es,en-ca"), bad);
    }

    @Test
    void kebabCaseKeysConfigureTheEngines() {
        TranslatorSettings s = settings(props(
                "parley.translator.apertium.pipelines-per-pair", "3",
                "parley.translator.timeout-ms", "2500",
                "parley.translator.apy.url", "http://apy.internal:2737",
                "parley.translator.libretranslate.url", "https://libre.internal",
                "parley.translator.libretranslate.api-key", "lk",
                "parley.translator.openai.model", "gpt-4.1-mini",
                "parley.translator.openai.languages", "EN, es-ES ,fra"), Map.of());
        assertEquals(3, s.apertiumPipelinesPerPair());
        assertEquals(Duration.ofMillis(2500), s.timeout());
        assertEquals(URI.create("http://apy.internal:2737"), s.apyUrl());
        assertEquals(URI.create("https://libre.internal"), s.libreTranslateUrl());
        assertEquals("lk", s.libreTranslateApiKey());
        assertEquals("gpt-4.1-mini", s.openAiModel());
        assertEquals(List.of("en", "es", "fr"), s.openAiLanguages());
    }
}
