package dev.parley.translate;

import static dev.parley.translate.Failures.failureOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a local server speaking the chat completions API. */
class OpenAiTranslatorTest {

    private static final String KEY = "sk-test-0123456789";
    private WireServer server;

    @BeforeEach
    void start() throws Exception {
        server = new WireServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiTranslator openAi(URI base, String key, Duration timeout) {
        return new OpenAiTranslator(base, key, "gpt-4o-mini", List.of("en", "es", "fr"), timeout);
    }

    private static WireServer.Reply completion(String content) {
        return WireServer.Reply.json(200, Map.of("id", "chatcmpl-1", "object", "chat.completion",
                "model", "gpt-4o-mini", "choices", List.of(Map.of("index", 0, "finish_reason", "stop",
                        "message", Map.of("role", "assistant", "content", content)))));
    }

    @Test
    void translatePostsChatCompletionsWithAStrictSystemPromptAndTemperatureZero() throws Exception {
        server.on(r -> completion(" Hola, ¿cómo estás?\n"));
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            assertEquals("Hola, ¿cómo estás?", ai.translate("Hello, how are you?", "en", "es").get(5, TimeUnit.SECONDS));
        }
        WireServer.Request r = server.last();
        assertEquals("POST", r.method());
        assertEquals("/v1/chat/completions", r.path());
        assertEquals("Bearer " + KEY, r.headers().getFirst("Authorization"));
        assertTrue(r.headers().getFirst("Content-Type").startsWith("application/json"));
        JsonNode body = r.json();
        assertEquals("gpt-4o-mini", body.get("model").asText());
        assertEquals(0, body.get("temperature").asInt());
        JsonNode messages = body.get("messages");
        assertEquals(2, messages.size());
        assertEquals("system", messages.get(0).get("role").asText());
        String prompt = messages.get(0).get("content").asText();
        assertTrue(prompt.contains("from English to Spanish") && prompt.contains("translation only"), prompt);
        assertEquals("user", messages.get(1).get("role").asText());
        assertEquals("Hello, how are you?", messages.get(1).get("content").asText());
    }

    @Test
    void aBaseUrlEndingInV1AndNoKeySuitsALocalServer() throws Exception {
        server.on(r -> completion("Bonjour"));
        try (var ai = openAi(URI.create(server.url() + "/v1/"), null, Duration.ofSeconds(2))) {
            assertEquals("Bonjour", ai.translate("Hello", "en", "fr").get(5, TimeUnit.SECONDS));
        }
        assertEquals("/v1/chat/completions", server.last().path());
        assertNull(server.last().headers().getFirst("Authorization"));
    }

    @Test
    void pairsAreEveryConfiguredLanguageToEveryOther() {
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            assertEquals(Map.of("en", Set.of("es", "fr"), "es", Set.of("en", "fr"), "fr", Set.of("en", "es")),
                    ai.pairs());
            assertTrue(server.requests().isEmpty(), "no request is needed for pairs");
        }
    }

    @Test
    void aLanguageOutsideTheListIsATranslationException() throws Exception {
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            TranslationException e = failureOf(ai.translate("Hello", "en", "de"));
            assertTrue(e.getMessage().contains("parley.translator.openai.languages"), e.getMessage());
        }
    }

    @Test
    void aRejectedKeyIsAClearMessageThatNeverShowsTheKey() throws Exception {
        server.on(r -> WireServer.Reply.json(401, Map.of("error", Map.of(
                "message", "Incorrect API key provided: " + KEY + ".", "type", "invalid_request_error",
                "code", "invalid_api_key"))));
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            TranslationException e = failureOf(ai.translate("Hello", "en", "es"));
            assertTrue(e.getMessage().contains("API key") && e.getMessage().contains("OPENAI_API_KEY"), e.getMessage());
            assertFalse(e.getMessage().contains("sk-test"), e.getMessage());
        }
    }

    @Test
    void rateLimitsAndServerErrorsAreTranslationExceptions() throws Exception {
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            server.on(r -> WireServer.Reply.json(429, Map.of("error", Map.of("message", "Rate limit reached",
                    "type", "requests"))));
            TranslationException limited = failureOf(ai.translate("Hello", "en", "es"));
            assertTrue(limited.getMessage().contains("429") && limited.getMessage().contains("Rate limit reached"),
                    limited.getMessage());
            server.on(r -> WireServer.Reply.json(502, "<html>Bad gateway</html>"));
            TranslationException down = failureOf(ai.translate("Hello", "en", "es"));
            assertTrue(down.getMessage().contains("502"), down.getMessage());
        }
    }

    @Test
    void anAnswerWithoutChoicesIsATranslationException() throws Exception {
        server.on(r -> WireServer.Reply.json(200, Map.of("object", "chat.completion", "choices", List.of())));
        try (var ai = openAi(server.url(), KEY, Duration.ofSeconds(2))) {
            TranslationException e = failureOf(ai.translate("Hello", "en", "es"));
            assertTrue(e.getMessage().contains("/choices/0/message/content"), e.getMessage());
        }
    }

    @Test
    void aHangingServerTimesOutWithinTheConfiguredTimeout() throws Exception {
        server.hang();
        try (var ai = openAi(server.url(), KEY, Duration.ofMillis(400))) {
            long t0 = System.nanoTime();
            TranslationException e = failureOf(ai.translate("Hello", "en", "es"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("did not answer within 400 ms"), e.getMessage());
            assertTrue(ms < 3000, ms + " ms");
        }
    }
}
