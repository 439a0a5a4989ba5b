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

/** Against a local server speaking LibreTranslate's documented API. */
class LibreTranslateTranslatorTest {

    private WireServer server;

    @BeforeEach
    void start() throws Exception {
        server = new WireServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static WireServer.Reply translated(WireServer.Request r) {
        assertEquals("POST", r.method());
        assertEquals("/translate", r.path());
        assertTrue(r.headers().getFirst("Content-Type").startsWith("application/json"));
        return WireServer.Reply.json(200, Map.of("translatedText", "¡Hola, mundo!"));
    }

    @Test
    void translatePostsTheDocumentedJsonWithTheApiKey() throws Exception {
        server.on(LibreTranslateTranslatorTest::translated);
        try (var libre = new LibreTranslateTranslator(server.url(), "secret-key", Duration.ofSeconds(2))) {
            assertEquals("¡Hola, mundo!", libre.translate("Hello, world!", "en", "es").get(5, TimeUnit.SECONDS));
        }
        JsonNode body = server.last().json();
        assertEquals(Set.of("q", "source", "target", "format", "api_key"), fields(body));
        assertEquals("Hello, world!", body.get("q").asText());
        assertEquals("en", body.get("source").asText());
        assertEquals("es", body.get("target").asText());
        assertEquals("text", body.get("format").asText());
        assertEquals("secret-key", body.get("api_key").asText());
    }

    @Test
    void withoutAKeyTheBodyHasNoApiKey() throws Exception {
        server.on(LibreTranslateTranslatorTest::translated);
        try (var libre = new LibreTranslateTranslator(server.url(), null, Duration.ofSeconds(2))) {
            libre.translate("Hello, world!", "en", "es").get(5, TimeUnit.SECONDS);
        }
        assertFalse(server.last().json().has("api_key"));
    }

    @Test
    void pairsComeFromLanguagesTargets() {
        server.on(r -> {
            assertEquals("GET", r.method());
            assertEquals("/languages", r.path());
            return WireServer.Reply.json(200, List.of(
                    Map.of("code", "en", "name", "English", "targets", List.of("en", "es", "fr", "zh-Hans")),
                    Map.of("code", "es", "name", "Spanish", "targets", List.of("en", "es")),
                    Map.of("code", "zh-Hans", "name", "Chinese", "targets", List.of("en"))));
        });
        try (var libre = new LibreTranslateTranslator(server.url(), null, Duration.ofSeconds(2))) {
            assertEquals(Map.of("en", Set.of("es", "fr"), "es", Set.of("en")), libre.pairs());
        }
    }

    @Test
    void aRefusedKeyIsATranslationExceptionNamingTheSetting() throws Exception {
        server.on(r -> WireServer.Reply.json(403, Map.of("error", "Invalid API key")));
        try (var libre = new LibreTranslateTranslator(server.url(), "wrong", Duration.ofSeconds(2))) {
            TranslationException e = failureOf(libre.translate("Hello", "en", "es"));
            assertTrue(e.getMessage().contains("parley.translator.libretranslate.api-key")
                    && e.getMessage().contains("Invalid API key"), e.getMessage());
        }
    }

    @Test
    void rateLimitingIsATranslationException() throws Exception {
        server.on(r -> WireServer.Reply.json(429, Map.of("error", "Slowdown: 20 per 1 minute")));
        try (var libre = new LibreTranslateTranslator(server.url(), null, Duration.ofSeconds(2))) {
            TranslationException e = failureOf(libre.translate("Hello", "en", "es"));
            assertTrue(e.getMessage().contains("429") && e.getMessage().contains("Slowdown"), e.getMessage());
        }
    }

    @Test
    void aHangingServerTimesOutWithinTheConfiguredTimeout() throws Exception {
        server.hang();
        try (var libre = new LibreTranslateTranslator(server.url(), null, Duration.ofMillis(400))) {
            long t0 = System.nanoTime();
            TranslationException e = failureOf(libre.translate("Hello", "en", "es"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("did not answer within 400 ms"), e.getMessage());
            assertTrue(ms < 3000, ms + " ms");
        }
    }

    static Set<String> fields(JsonNode node) {
        Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
