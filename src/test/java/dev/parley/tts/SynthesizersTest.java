package dev.parley.tts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SynthesizersTest {

    static IllegalArgumentException refused(Map<String, String> properties) {
        return assertThrows(IllegalArgumentException.class, () -> Synthesizers.create(properties::get).close());
    }

    @Test
    void espeakIsTheDefaultWithDocumentedSettings() {
        try (Synthesizer s = Synthesizers.create(Map.<String, String>of()::get)) {
            EspeakSynthesizer espeak = assertInstanceOf(EspeakSynthesizer.class, s);
            assertEquals("espeak", s.name());
            assertEquals(175, espeak.settings().wordsPerMinute());
            assertEquals(Duration.ofMillis(10_000), espeak.timeout());
        }
    }

    @Test
    void espeakPropertiesAreApplied() {
        Map<String, String> p = Map.of("parley.tts", "espeak", "parley.tts.espeak.words-per-minute", "200",
                "parley.tts.timeout-ms", "2500", "parley.tts.threads", "3", "parley.tts.espeak.voice.gl", "pt",
                "parley.tts.espeak.voice.en", "en-us");
        try (Synthesizer s = Synthesizers.create(p::get)) {
            EspeakSynthesizer espeak = (EspeakSynthesizer) s;
            assertEquals(200, espeak.settings().wordsPerMinute());
            assertEquals(3, espeak.settings().threads());
            assertEquals(Duration.ofMillis(2500), espeak.timeout());
            assertEquals(Map.of("gl", "pt", "en", "en-us"), espeak.settings().voices());
            assertEquals("en-us", espeak.voiceFor("en"));
            assertTrue(s.languages().contains("gl"));
        }
    }

    @Test
    void openaiPropertiesAreApplied() {
        Map<String, String> p = Map.of("parley.tts", "openai", "parley.tts.openai.base-url", "http://127.0.0.1:9/",
                "parley.tts.openai.model", "tts-1", "parley.tts.openai.voice", "nova",
                "parley.tts.openai.api-key", "sk-secret");
        try (Synthesizer s = Synthesizers.create(p::get)) {
            OpenAiSynthesizer openai = assertInstanceOf(OpenAiSynthesizer.class, s);
            assertEquals(URI.create("http://127.0.0.1:9/v1/audio/speech"), openai.endpoint());
            assertEquals("tts-1", openai.settings().model());
            assertEquals("nova", openai.settings().voice());
            assertFalse(openai.toString().contains("sk-secret"));
        }
    }

    @Test
    void unknownEngineNamesThePropertyItsVariableAndTheChoices() {
        String m = refused(Map.of("parley.tts", "festival")).getMessage();
        assertTrue(m.contains("parley.tts=festival") && m.contains("PARLEY_TTS") && m.contains("espeak")
                && m.contains("openai"), m);
    }

    @Test
    void badNumbersNameTheProperty() {
        String wpm = refused(Map.of("parley.tts.espeak.words-per-minute", "fast")).getMessage();
        assertTrue(wpm.contains("parley.tts.espeak.words-per-minute") && wpm.contains("PARLEY_TTS_ESPEAK_WORDS_PER_MINUTE")
                && wpm.contains("80 to 450"), wpm);
        String timeout = refused(Map.of("parley.tts.timeout-ms", "-1")).getMessage();
        assertTrue(timeout.contains("PARLEY_TTS_TIMEOUT_MS"), timeout);
        String threads = refused(Map.of("parley.tts.threads", "0")).getMessage();
        assertTrue(threads.contains("PARLEY_TTS_THREADS"), threads);
    }

    @Test
    void badVoiceOverrideNamesTheProperty() {
        String m = refused(Map.of("parley.tts.espeak.voice.es", "-v en")).getMessage();
        assertTrue(m.contains("parley.tts.espeak.voice.es") && m.contains("PARLEY_TTS_ESPEAK_VOICE_ES"), m);
    }

    @Test
    void badOpenAiBaseUrlAndMissingKeyAreRefused() {
        String url = refused(Map.of("parley.tts", "openai", "parley.tts.openai.api-key", "k",
                "parley.tts.openai.base-url", "api.openai.com")).getMessage();
        assertTrue(url.contains("PARLEY_TTS_OPENAI_BASE_URL"), url);
        if (System.getenv("OPENAI_API_KEY") == null) {
            String key = refused(Map.of("parley.tts", "openai")).getMessage();
            assertTrue(key.contains("parley.tts.openai.api-key") && key.contains("PARLEY_TTS_OPENAI_API_KEY")
                    && key.contains("OPENAI_API_KEY"), key);
        }
    }
}
