package dev.parley.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A translator that hangs for one language, behind Parley's LibreTranslate engine: the session
 * asking for that language keeps getting its transcripts and gets an error per hung item; another
 * session's translations still arrive.
 */
class TranslationFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CountDownLatch RELEASE = new CountDownLatch(1);
    private static HttpServer libreTranslate;
    private static ParleyServer parley;

    /** LibreTranslate's /translate and /languages; French requests hang until the test ends. */
    @BeforeAll
    static void start() throws Exception {
        libreTranslate = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        libreTranslate.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        libreTranslate.createContext("/languages", exchange -> {
            byte[] body = "[{\"code\":\"en\",\"name\":\"English\",\"targets\":[\"es\",\"fr\"]}]".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        libreTranslate.createContext("/translate", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            if (request.path("target").asText().equals("fr")) {
                try {
                    RELEASE.await(2, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = JSON.writeValueAsBytes(Map.of("translatedText",
                    "[" + request.path("target").asText() + "] " + request.path("q").asText()));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        libreTranslate.start();
        parley = ParleyServer.start(Map.of(
                "parley.translator", "libretranslate",
                "parley.translator.libretranslate.url", "http://127.0.0.1:" + libreTranslate.getAddress().getPort(),
                "parley.translator.timeout-ms", "8000",
                "parley.session.max-queued-audio-ms", "20000",
                "parley.tts.enabled", "false"));
    }

    @AfterAll
    static void stop() {
        RELEASE.countDown();
        parley.close();
        libreTranslate.stop(0);
    }

    @Test
    void aHungTranslatorDelaysNeitherTranscriptsNorOtherSessions() throws Exception {
        byte[] speech = LibriVox.get("0870").at(16000).pcm();
        try (ListenClient stuck = ListenClient.connect(parley.ws("/v1/listen?rate=16000&targets=fr"));
             ListenClient other = ListenClient.connect(parley.ws("/v1/listen?rate=16000&targets=es"))) {
            Thread speaker = new Thread(() -> {
                try {
                    other.stream(speech, 640, 32000, true);
                    other.endInput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            speaker.start();
            stuck.stream(speech, 640, 32000, true);
            stuck.stream(new byte[32000], 640, 32000, true);
            stuck.stream(LibriVox.get("0880").at(16000).pcm(), 640, 32000, true);
            stuck.stream(new byte[32000], 640, 32000, true);
            stuck.await(e -> stuck.events("transcript.final").size() >= 2, Duration.ofSeconds(10));
            JsonNode fin = stuck.events("transcript.final").get(0);
            assertTrue(stuck.events("translation.final").isEmpty() && stuck.events("error").isEmpty(),
                    "the next final came while the first one's translation still hung");

            speaker.join();
            other.await("session.closed", WAIT);
            JsonNode translated = other.events("translation.final").get(0);
            assertEquals("es", translated.path("language").asText());
            assertTrue(translated.path("text").asText().startsWith("[es] "), translated.toString());

            JsonNode error = stuck.await(e -> e.type().equals("error") && e.json().path("item_id").equals(fin.path("item_id")),
                    Duration.ofSeconds(15)).json();
            assertEquals("translation_failed", error.path("code").asText());
            assertEquals("fr", error.path("language").asText());
            stuck.endInput();
            stuck.await("session.closed", WAIT);
            assertFalse(stuck.events("transcript.final").isEmpty());
        }
    }

    @Test
    void aTargetNoEngineReachesIsRefusedNamingWhatIsAvailable() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=es,de"))) {
            JsonNode error = client.await("error", WAIT).json();
            assertEquals("unsupported_language_pair", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("de"), error.toString());
            assertTrue(error.path("message").asText().contains("es, fr"), error.toString());
            assertEquals(1008, client.awaitClose(WAIT));
            assertFalse(client.types().contains("session.created"));
        }
    }

    @Test
    void languagesListsSourcesAndTheTargetsTheTranslatorReaches() throws Exception {
        JsonNode languages = JSON.readTree(parley.get("/api/languages").body());
        assertEquals("en", languages.path("sources").get(0).asText());
        assertEquals("[\"es\",\"fr\"]", languages.path("targets").path("en").toString());
        assertEquals("libretranslate", languages.path("engines").path("translator").asText());
    }
}
