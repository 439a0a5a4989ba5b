package dev.parley.translate;

import static dev.parley.translate.Failures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a local server speaking the DeepL API v2. */
class DeepLTranslatorTest {

    private static final String KEY = "0000-1111-2222:fx";
    private WireServer server;
    private DeepLTranslator deepl;

    @BeforeEach
    void start() throws Exception {
        server = new WireServer();
        deepl = new DeepLTranslator(server.url(), KEY, Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        deepl.close();
        server.close();
    }

    @Test
    void translatePostsTextArrayWithUpperCaseLanguagesAndTheAuthKeyHeader() throws Exception {
        server.on(r -> WireServer.Reply.json(200, Map.of("translations", List.of(
                Map.of("detected_source_language", "EN", "text", "Hola, mundo")))));
        assertEquals("Hola, mundo", deepl.translate("Hello, world", "en", "es").get(5, TimeUnit.SECONDS));
        WireServer.Request r = server.last();
        assertEquals("POST", r.method());
        assertEquals("/v2/translate", r.path());
        assertEquals("DeepL-Auth-Key " + KEY, r.headers().getFirst("Authorization"));
        assertTrue(r.headers().getFirst("Content-Type").startsWith("application/json"));
        JsonNode body = r.json();
        assertEquals(Set.of("text", "source_lang", "target_lang"), LibreTranslateTranslatorTest.fields(body));
        assertTrue(body.get("text").isArray());
        assertEquals(1, body.get("text").size());
        assertEquals("Hello, world", body.get("text").get(0).asText());
        assertEquals("EN", body.get("source_lang").asText());
        assertEquals("ES", body.get("target_lang").asText());
    }

    @Test
    void pairsComeFromSourceAndTargetLanguagesWithVariantsFolded() {
        server.on(r -> {
            assertEquals("GET", r.method());
            assertEquals("/v2/languages", r.path());
            assertEquals("DeepL-Auth-Key " + KEY, r.headers().getFirst("Authorization"));
            return switch (r.query().get("type")) {
                case "source" -> WireServer.Reply.json(200, List.of(Map.of("language", "EN", "name", "English"),
                        Map.of("language", "ES", "name", "Spanish")));
                case "target" -> WireServer.Reply.json(200, List.of(
                        Map.of("language", "EN-GB", "name", "English (British)", "supports_formality", false),
                        Map.of("language", "EN-US", "name", "English (American)", "supports_formality", false),
                        Map.of("language", "ES", "name", "Spanish", "supports_formality", true),
                        Map.of("language", "PT-BR", "name", "Portuguese (Brazilian)", "supports_formality", true)));
                default -> new WireServer.Reply(400, "{\"message\":\"bad type\"}");
            };
        });
        assertEquals(Map.of("en", Set.of("es", "pt"), "es", Set.of("en", "pt")), deepl.pairs());
        assertEquals(2, server.requests().size());
    }

    @Test
    void aRejectedKeyIsAClearMessageThatNeverShowsTheKey() throws Exception {
        server.on(r -> WireServer.Reply.json(403, Map.of("message", "Wrong endpoint. Use https://api.deepl.com")));
        TranslationException e = failureOf(deepl.translate("Hello", "en", "es"));
        assertTrue(e.getMessage().contains("DEEPL_API_KEY"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
    }

    @Test
    void quotaAndServerErrorsAreTranslationExceptions() throws Exception {
        server.on(r -> WireServer.Reply.json(456, Map.of("message", "Quota exceeded")));
        assertTrue(failureOf(deepl.translate("Hello", "en", "es")).getMessage().contains("quota"));
        server.on(r -> WireServer.Reply.json(429, Map.of("message", "Too many requests")));
        assertTrue(failureOf(deepl.translate("Hello", "en", "es")).getMessage().contains("429"));
        server.on(r -> WireServer.Reply.json(500, Map.of("message", "Internal error")));
        assertTrue(failureOf(deepl.translate("Hello", "en", "es")).getMessage().contains("500"));
    }

    @Test
    void aHangingServerTimesOutWithinTheConfiguredTimeout() throws Exception {
        server.hang();
        long t0 = System.nanoTime();
        TranslationException e = failureOf(deepl.translate("Hello", "en", "es"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("did not answer within 500 ms"), e.getMessage());
        assertTrue(ms < 3000, ms + " ms");
    }

    @Test
    void freeKeysUseTheFreeHostAndOtherKeysThePaidOne() {
        assertEquals(DeepLTranslator.FREE_BASE_URL, DeepLTranslator.defaultBaseUrl("abc:fx"));
        assertEquals(DeepLTranslator.PRO_BASE_URL, DeepLTranslator.defaultBaseUrl("abc"));
    }
}
