package dev.parley.translate;

import static dev.parley.translate.Failures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a local server speaking APy's wire format (apertium-apy 0.11 handlers). */
class ApyTranslatorTest {

    private WireServer server;
    private ApyTranslator apy;

    @BeforeEach
    void start() throws Exception {
        server = new WireServer();
        apy = new ApyTranslator(server.url(), Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        apy.close();
        server.close();
    }

    @Test
    void translateIsAGetWithQAndAnIso3LangpairAndReadsResponseData() throws Exception {
        server.on(r -> WireServer.Reply.json(200, Map.of(
                "responseData", Map.of("translatedText", "No fue un hombre joven"),
                "responseStatus", 200)));
        String out = apy.translate("he was not an ill disposed young man & more", "en", "es").get(5, TimeUnit.SECONDS);
        assertEquals("No fue un hombre joven", out);
        WireServer.Request r = server.last();
        assertEquals("GET", r.method());
        assertEquals("/translate", r.path());
        assertEquals("he was not an ill disposed young man & more", r.query().get("q"));
        assertEquals("eng|spa", r.query().get("langpair"));
        assertEquals("no", r.query().get("markUnknown"), "unknown-word marks would reach TTS");
        assertEquals("txt", r.query().get("format"), "an utterance is plain text, not HTML");
    }

    @Test
    void pairsComeFromListPairsInIso6391WithoutVariants() {
        server.on(r -> {
            assertEquals("GET", r.method());
            assertEquals("/listPairs", r.path());
            return WireServer.Reply.json(200, Map.of("responseStatus", 200, "responseData", List.of(
                    Map.of("sourceLanguage", "eng", "targetLanguage", "spa"),
                    Map.of("sourceLanguage", "eng", "targetLanguage", "cat"),
                    Map.of("sourceLanguage", "eng", "targetLanguage", "cat_valencia"),
                    Map.of("sourceLanguage", "spa", "targetLanguage", "eng"))));
        });
        assertEquals(Map.of("en", Set.of("es", "ca"), "es", Set.of("en")), apy.pairs());
        apy.pairs();
        assertEquals(1, server.requests().size(), "pairs are cached");
    }

    @Test
    void aPairApyDoesNotHaveIsATranslationExceptionWithItsExplanation() throws Exception {
        server.on(r -> WireServer.Reply.json(400, Map.of("status", "error", "code", 400,
                "message", "Bad Request", "explanation", "That pair is not installed")));
        TranslationException e = failureOf(apy.translate("hello", "en", "fr"));
        assertTrue(e.getMessage().contains("en to fr") && e.getMessage().contains("That pair is not installed"),
                e.getMessage());
    }

    @Test
    void aServerErrorIsATranslationException() throws Exception {
        server.on(r -> WireServer.Reply.json(503, Map.of("status", "error", "code", 503,
                "message", "Service Unavailable", "explanation", "internal error")));
        TranslationException e = failureOf(apy.translate("hello", "en", "es"));
        assertTrue(e.getMessage().contains("503"), e.getMessage());
    }

    @Test
    void aHangingServerTimesOutWithinTheConfiguredTimeout() throws Exception {
        server.hang();
        long t0 = System.nanoTime();
        TranslationException e = failureOf(apy.translate("hello", "en", "es"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("did not answer within 500 ms"), e.getMessage());
        assertTrue(ms >= 450 && ms < 3000, ms + " ms");
    }

    @Test
    void anUnreachableServerIsATranslationException() throws Exception {
        int port = server.url().getPort();
        server.close();
        try (ApyTranslator gone = new ApyTranslator(java.net.URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(2))) {
            failureOf(gone.translate("hello", "en", "es"));
        }
    }
}
