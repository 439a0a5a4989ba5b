package dev.parley.tts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real local HTTP server stands in for api.openai.com; it checks each request as OpenAI documents it. */
class OpenAiSynthesizerTest {

    static final String KEY = "sk-test-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();

    interface Handler {
        void handle(HttpExchange exchange, byte[] body) throws Exception;
    }

    HttpServer server;
    volatile Handler handler;
    final List<String> violations = new ArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    OpenAiSynthesizer openai;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            try (exchange) {
                handler.handle(exchange, exchange.getRequestBody().readAllBytes());
            } catch (Exception e) {
                synchronized (violations) {
                    violations.add("handler failed: " + e);
                }
            }
        });
        server.start();
        openai = synthesizer(Duration.ofSeconds(5));
    }

    OpenAiSynthesizer synthesizer(Duration timeout) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new OpenAiSynthesizer(new OpenAiSynthesizer.Settings(base, "gpt-4o-mini-tts", "alloy", KEY, timeout, 2, 10));
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        openai.close();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    /** One second of a 440 Hz tone as OpenAI streams it: 24 kHz mono PCM16, sizes 0xFFFFFFFF. */
    static byte[] streamedToneWav() {
        int rate = 24000;
        ByteBuffer pcm = ByteBuffer.allocate(rate * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rate; i++) {
            pcm.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
        }
        byte[] wav = WavInfo.pcm(pcm.array(), rate, 1, 16);
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 0xFFFFFFFF);
        b.putInt(40, 0xFFFFFFFF);
        return wav;
    }

    static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    void violation(String s) {
        synchronized (violations) {
            violations.add(s);
        }
    }

    static SynthesisException failureOf(CompletableFuture<Speech> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return assertInstanceOf(SynthesisException.class, e.getCause());
    }

    @Test
    void postsTheDocumentedRequestAndParsesTheStreamedWav() throws Exception {
        String text = "Bon dia! \"Quotes\", accents: à é ï ó ú, and a newline\nhere.";
        handler = (exchange, body) -> {
            if (!exchange.getRequestMethod().equals("POST")) {
                violation("method " + exchange.getRequestMethod());
            }
            if (!exchange.getRequestURI().getPath().equals("/v1/audio/speech") || exchange.getRequestURI().getQuery() != null) {
                violation("path " + exchange.getRequestURI());
            }
            if (!("Bearer " + KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                violation("authorization " + exchange.getRequestHeaders().get("Authorization"));
            }
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.startsWith("application/json")) {
                violation("content type " + type);
            }
            JsonNode json = JSON.readTree(body);
            Set<String> fields = new TreeSet<>();
            json.fieldNames().forEachRemaining(fields::add);
            if (!fields.equals(Set.of("model", "input", "voice", "response_format"))) {
                violation("fields " + fields);
            }
            if (!json.path("model").asText().equals("gpt-4o-mini-tts") || !json.path("input").asText().equals(text)
                    || !json.path("voice").asText().equals("alloy") || !json.path("response_format").asText().equals("wav")) {
                violation("values " + json);
            }
            respond(exchange, 200, "audio/wav", streamedToneWav());
        };
        Speech speech = openai.speak(text, "ca").get(10, TimeUnit.SECONDS);
        assertEquals(List.of(), violations);
        assertEquals(24000, speech.sampleRate());
        assertEquals(1000, speech.durationMillis());
        WavInfo info = WavInfo.parse(speech.wav());
        assertTrue(info.sizesConsistent(), "placeholder sizes are rewritten");
        assertEquals(48000, info.dataLength());
    }

    @Test
    void rejectedKeyFailsNamingTheSettingWithoutShowingTheKey() {
        handler = (exchange, body) -> respond(exchange, 401, "application/json", ("{\"error\": {\"message\": "
                + "\"Incorrect API key provided: " + KEY + ".\", \"type\": \"invalid_request_error\", \"code\":"
                + " \"invalid_api_key\"}}").getBytes(StandardCharsets.UTF_8));
        SynthesisException e = failureOf(openai.speak("Hello", "en"));
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("API key"), e.getMessage());
        assertTrue(e.getMessage().contains("parley.tts.openai.api-key") && e.getMessage().contains("OPENAI_API_KEY"),
                e.getMessage());
        assertFalse(e.getMessage().contains(KEY), "the key is never shown: " + e.getMessage());
        assertFalse(openai.toString().contains(KEY));
    }

    @Test
    void rateLimitAndServerErrorsFailClearly() {
        handler = (exchange, body) -> respond(exchange, 429, "application/json",
                "{\"error\": {\"message\": \"Rate limit reached for requests\"}}".getBytes(StandardCharsets.UTF_8));
        SynthesisException limited = failureOf(openai.speak("Hello", "en"));
        assertTrue(limited.getMessage().contains("HTTP 429") && limited.getMessage().contains("Rate limit reached"),
                limited.getMessage());
        handler = (exchange, body) -> respond(exchange, 503, "text/plain", "upstream unavailable".getBytes(StandardCharsets.UTF_8));
        SynthesisException down = failureOf(openai.speak("Hello", "en"));
        assertTrue(down.getMessage().contains("HTTP 503") && down.getMessage().contains("upstream unavailable"),
                down.getMessage());
    }

    @Test
    void bodyThatIsNotAWavFailsClearly() {
        handler = (exchange, body) -> respond(exchange, 200, "audio/mpeg", new byte[] {(byte) 0xFF, (byte) 0xFB, 0, 0});
        SynthesisException e = failureOf(openai.speak("Hello", "en"));
        assertTrue(e.getMessage().contains("not a valid WAV"), e.getMessage());
    }

    @Test
    void hangingServerTimesOut() {
        handler = (exchange, body) -> release.await();
        try (OpenAiSynthesizer hurried = synthesizer(Duration.ofMillis(300))) {
            long t0 = System.nanoTime();
            SynthesisException e = failureOf(hurried.speak("Hello", "en"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("timed out after 300 ms"), e.getMessage());
            assertTrue(ms < 3000, "failed after " + ms + " ms");
        }
    }

    @Test
    void unreachableServerFailsClearly() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (OpenAiSynthesizer nowhere = new OpenAiSynthesizer(new OpenAiSynthesizer.Settings(
                URI.create("http://127.0.0.1:" + port), "tts-1", "alloy", KEY, Duration.ofSeconds(5), 1, 1))) {
            SynthesisException e = failureOf(nowhere.speak("Hello", "en"));
            assertTrue(e.getMessage().contains("Cannot reach") || e.getMessage().contains("failed"), e.getMessage());
        }
    }

    @Test
    void unknownLanguageAndBlankTextFailBeforeAnyRequest() {
        handler = (exchange, body) -> violation("no request expected");
        assertTrue(failureOf(openai.speak("Hello", "xx")).getMessage().contains("Languages available: af, ar"));
        assertTrue(failureOf(openai.speak(" ", "en")).getMessage().contains("empty"));
        assertEquals(List.of(), violations);
    }

    @Test
    void baseUrlEndingInV1IsNotDoubled() {
        assertEquals(URI.create("https://api.openai.com/v1/audio/speech"),
                OpenAiSynthesizer.endpoint(URI.create("https://api.openai.com")));
        assertEquals(URI.create("https://api.openai.com/v1/audio/speech"),
                OpenAiSynthesizer.endpoint(URI.create("https://api.openai.com/v1/")));
        assertEquals(URI.create("http://gw.local/openai/v1/audio/speech"),
                OpenAiSynthesizer.endpoint(URI.create("http://gw.local/openai")));
    }
}
