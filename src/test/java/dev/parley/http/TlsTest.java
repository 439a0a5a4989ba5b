package dev.parley.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.Config;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.JsonSocket;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.TestCertificates;
import dev.parley.testing.TestCertificates.Pair;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parley serving HTTPS and WSS itself, with a certificate chain from a test CA made at test time: every
 * endpoint over TLS to clients that validate against that CA only, cleartext refused, the certificate
 * replaced while a session streams, and each bad configuration stopping start-up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TlsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_KEY = "tls-test-api-key-0123456789";
    private static final String TWILIO_TOKEN = "twilio-auth-token-for-tls";
    private static final String AUDIOHOOK_KEY = "audiohook-key-for-tls-0123";

    private TestCertificates ca;
    /** The files Parley serves from, which the rotation test replaces. */
    private Pair served;
    private Pair first;
    private ParleyServer parley;
    private String startLog;

    @BeforeAll
    void start() throws Exception {
        ca = TestCertificates.create();
        first = ca.server("first", 10);
        served = new Pair(ca.dir().resolve("served.pem"), ca.dir().resolve("served.key"));
        Files.copy(first.cert(), served.cert());
        Files.copy(first.key(), served.key());
        try (Stderr log = new Stderr()) {
            parley = ParleyServer.start(Map.of(
                    TlsSettings.CERT, served.cert().toString(), TlsSettings.KEY, served.key().toString(),
                    "parley.auth.api-keys", API_KEY, "parley.twilio.auth-token", TWILIO_TOKEN,
                    "parley.audiohook.api-keys", AUDIOHOOK_KEY, "parley.translation.targets", "es",
                    // A generous queue: this test is about TLS, not capacity on a shared machine.
                    "parley.session.max-queued-audio-ms", "30000"), ca.clientContext());
            startLog = log.text();
        }
    }

    @AfterAll
    void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    @Test
    @Order(1)
    void saysItServesHttpsAndWarnsOfTheCertificatesNearExpiry() throws Exception {
        assertTrue(startLog.contains("Parley serves https://127.0.0.1:" + parley.port() + "/"), startLog);
        assertTrue(startLog.matches("(?s).*WARN.*The TLS certificate CN=first 1 expires on .* \\(in 9 days\\).*"), startLog);

        JsonNode check = tlsCheck();
        assertEquals("UP", check.path("status").asText(), check.toString());
        assertTrue(check.path("message").asText().contains("expires on"), check.toString());
        assertTrue(check.path("details").path("expires_soon").asBoolean(), check.toString());
        assertEquals(first.serial(), served().getSerialNumber());
    }

    @Test
    @Order(1)
    void everyEndpointAnswersOverTls() throws Exception {
        HttpClient http = parley.client();
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(parley.http("/api/realtime-token"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, token.statusCode(), token.body());
        assertTrue(JSON.readTree(token.body()).path("token").asText().length() > 20, token.body());
        HttpResponse<String> page = parley.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>Parley"));
        assertEquals(200, parley.get("/api/languages").statusCode());
        assertEquals(200, parley.get("/observe/health/live").statusCode());

        // OpenAI Realtime, authenticated with an API key.
        try (Socket realtime = Socket.open(parley, "/v1/realtime?intent=transcription", Map.of("Authorization", "Bearer " + API_KEY))) {
            realtime.await(m -> m.path("type").asText().equals("session.created"));
        }

        // Twilio signs the wss:// URL of the stream; Parley checks it as it does in cleartext.
        String twilioUrl = "wss://127.0.0.1:" + parley.port() + "/twilio/media";
        try (Socket twilio = Socket.open(parley, "/twilio/media", Map.of("X-Twilio-Signature", TwilioSignature.sign(TWILIO_TOKEN, twilioUrl)))) {
            twilio.send(Map.of("event", "connected", "protocol", "Call", "version", "1.0.0"));
            ObjectNode start = JSON.createObjectNode().put("event", "start").put("sequenceNumber", "1").put("streamSid", "MZtls");
            ObjectNode s = start.putObject("start").put("accountSid", "AC0").put("streamSid", "MZtls").put("callSid", "CAtls");
            s.putArray("tracks").add("inbound");
            s.putObject("customParameters").put("record", "false");
            s.putObject("mediaFormat").put("encoding", "audio/x-mulaw").put("sampleRate", 8000).put("channels", 1);
            twilio.send(start);
            byte[] silence = new byte[160];
            java.util.Arrays.fill(silence, (byte) 0xFF);
            twilio.send(Map.of("event", "media", "sequenceNumber", "2", "streamSid", "MZtls", "media", Map.of("track", "inbound",
                    "chunk", "1", "timestamp", "0", "payload", java.util.Base64.getEncoder().encodeToString(silence))));
            twilio.send(Map.of("event", "stop", "sequenceNumber", "3", "streamSid", "MZtls",
                    "stop", Map.of("accountSid", "AC0", "callSid", "CAtls")));
            assertEquals(1000, twilio.awaitClose(Duration.ofSeconds(30)));
        }

        // Genesys AudioHook: a connection probe is answered, then closed.
        String id = UUID.randomUUID().toString();
        try (Socket audiohook = Socket.open(parley, "/audiohook", Map.of("X-API-KEY", AUDIOHOOK_KEY,
                "Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05",
                "Audiohook-Correlation-Id", UUID.randomUUID().toString(), "Audiohook-Session-Id", id))) {
            ObjectNode open = audiohookMessage(id, "open", 1);
            ObjectNode p = (ObjectNode) open.get("parameters");
            p.put("organizationId", "d7934305-0972-4844-938e-9060eef73d05")
                    .put("conversationId", "00000000-0000-0000-0000-000000000000").put("language", "en-US");
            p.putObject("participant").put("id", UUID.randomUUID().toString()).put("ani", "").put("aniName", "").put("dnis", "");
            p.putArray("media").addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000)
                    .putArray("channels").add("external").add("internal");
            audiohook.send(open);
            audiohook.await(m -> m.path("type").asText().equals("opened"));
            audiohook.send(audiohookMessage(id, "close", 2));
            audiohook.await(m -> m.path("type").asText().equals("closed"));
        }
    }

    @Test
    @Order(1)
    void cleartextToTheTlsPortIsClosedWithinASecondWithoutAStackTrace() throws Exception {
        try (Stderr log = new Stderr()) {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                try (java.net.Socket plain = new java.net.Socket()) {
                    plain.connect(new InetSocketAddress("127.0.0.1", parley.port()), 2000);
                    plain.setSoTimeout(5000);
                    plain.getOutputStream().write(("GET /observe/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    String answer = readToEnd(plain.getInputStream());
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.println("cleartext request: closed after " + ms + " ms, answer " + answer.length() + " bytes");
                    assertTrue(ms < 1000, "closed after " + ms + " ms");
                    assertFalse(answer.contains("HTTP/1.1"), "no cleartext answer: " + answer);
                }
            }
            long t0 = System.nanoTime();
            URI ws = URI.create("ws://127.0.0.1:" + parley.port() + "/v1/listen");
            Exception refused = assertThrows(Exception.class, () -> HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(ws, new java.net.http.WebSocket.Listener() { }).get(5, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("cleartext WebSocket client: " + refused + " after " + ms + " ms");
            assertTrue(ms < 1000, "refused after " + ms + " ms");
            assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + parley.port() + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(500);
            String logged = log.text();
            assertFalse(logged.contains("Exception") || logged.contains("\tat "), "logged:\n" + logged);
        }
    }

    @Test
    @Order(1)
    void speaksTls12And13Only() throws Exception {
        assertEquals("TLSv1.3", handshake("TLSv1.3"));
        assertEquals("TLSv1.2", handshake("TLSv1.2"));
        // The JDK's client will not offer TLS 1.1 at all; openssl will, when told to.
        String connect = "127.0.0.1:" + parley.port();
        Process v12 = openssl("s_client", "-connect", connect, "-tls1_2", "-CAfile", ca.root().toString());
        String out12 = new String(v12.getInputStream().readAllBytes());
        assertEquals(0, v12.waitFor(), out12);
        assertTrue(out12.contains("Verify return code: 0 (ok)"), out12);
        Process v11 = openssl("s_client", "-connect", connect, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
        String out11 = new String(v11.getInputStream().readAllBytes());
        assertNotEquals(0, v11.waitFor(), out11);
        assertTrue(out11.contains("alert protocol version") && out11.contains("Cipher is (NONE)"), out11);
    }

    @Test
    @Order(2)
    void eachBadConfigurationStopsStartUpNamingItsSetting() throws Exception {
        Pair other = ca.server("other", 30);
        Pair expired = ca.server("expired", -1);
        Path garbage = ca.dir().resolve("garbage.key");
        Files.writeString(garbage, "not a key\n");
        Map<String, Map<String, String>> cases = new LinkedHashMap<>();
        cases.put("there is no such file", Map.of(TlsSettings.CERT, ca.dir().resolve("missing.pem").toString(),
                TlsSettings.KEY, first.key().toString()));
        cases.put("it is a directory", Map.of(TlsSettings.CERT, first.cert().toString(), TlsSettings.KEY, ca.dir().toString()));
        cases.put("an unencrypted PEM private key", Map.of(TlsSettings.CERT, first.cert().toString(), TlsSettings.KEY, garbage.toString()));
        cases.put("the private key of the certificate", Map.of(TlsSettings.CERT, first.cert().toString(),
                TlsSettings.KEY, other.key().toString()));
        cases.put("expired on", Map.of(TlsSettings.CERT, expired.cert().toString(), TlsSettings.KEY, expired.key().toString()));
        cases.put("TLS needs both files", Map.of(TlsSettings.CERT, first.cert().toString()));
        for (Map.Entry<String, Map<String, String>> c : cases.entrySet()) {
            long t0 = System.nanoTime();
            Exception e = assertThrows(Exception.class, () -> ParleyServer.start(c.getValue(), ca.clientContext()).close());
            String message = rootCause(e).getMessage();
            System.out.printf("%s: stopped in %d ms: %s%n", c.getKey(), (System.nanoTime() - t0) / 1_000_000, message);
            assertTrue(message.contains(c.getKey()), message);
            String setting = c.getKey().equals("expired on") || c.getKey().equals("there is no such file")
                    ? TlsSettings.CERT : TlsSettings.KEY;
            assertTrue(message.contains(setting + "=") && message.contains(Config.envName(setting)), message);
        }
    }

    @Test
    @Order(3)
    void aReplacedCertificateServesNewConnectionsWhileAStreamingSessionGoesOn() throws Exception {
        Pair second = ca.server("second", 90);
        List<LibriVox.Recording> said = List.of(LibriVox.get("0870"), LibriVox.get("0920"));
        ByteArrayOutputStream audio = new ByteArrayOutputStream();
        for (LibriVox.Recording r : said) {
            audio.write(r.at(16000).pcm());
            audio.write(new byte[16000]); // half a second of silence between them
        }
        try (ListenClient client = ListenClient.connect(parley.client(), parley.ws("/v1/listen?rate=16000&targets=&record=false"),
                Map.of());
             Stderr log = new Stderr()) {
            // About 14 s of speech over wss://, at real-time pace, while the files change under it.
            CompletableFuture<Void> streaming = CompletableFuture.runAsync(() -> {
                try {
                    client.stream(audio.toByteArray(), 1280, 32000, true);
                    client.endInput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1000);
            // An operator copies the certificate first: a pair that does not match is not served.
            replace(second.cert(), served.cert());
            Thread.sleep(4500);
            assertEquals(first.serial(), served().getSerialNumber(), "a certificate without its key is not installed");
            assertTrue(log.text().contains("not usable yet"), log.text());
            replace(second.key(), served.key());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!served().getSerialNumber().equals(second.serial())) {
                assertTrue(System.nanoTime() < deadline, "the new certificate was not served within 10 s");
                Thread.sleep(200);
            }
            assertFalse(streaming.isDone(), "the rotation happened while the session was streaming");
            streaming.get(60, TimeUnit.SECONDS);
            client.await("session.closed", Duration.ofSeconds(60));

            JsonNode channel = client.events("session.closed").get(0).path("audio").path("speaker");
            assertEquals(client.bytesSent(), channel.path("bytes").asLong(), "errors: " + client.events("error"));
            assertEquals(client.sentDigest(), channel.path("sha256").asText());
            List<String> finals = client.events("transcript.final").stream().map(e -> e.path("text").asText()).toList();
            double wer = WordErrorRate.of(said.get(0).transcript() + " " + said.get(1).transcript(), String.join(" ", finals));
            System.out.println("finals over wss:// across the rotation: " + finals + ", WER " + wer);
            assertTrue(finals.size() >= 2, finals.toString());
            assertTrue(wer < 0.6, "WER " + wer + ": " + finals);
            assertTrue(log.text().contains("TLS certificate replaced"), log.text());
        }
        JsonNode check = tlsCheck();
        assertEquals("UP", check.path("status").asText());
        assertFalse(check.path("details").path("expires_soon").asBoolean(), check.toString());
        assertTrue(check.path("details").path("subject").asText().contains("second"), check.toString());
    }

    /** The certificate a new connection gets, from a fresh TLS context (no session to resume). */
    private X509Certificate served() throws Exception {
        try (SSLSocket socket = socket()) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private String handshake(String protocol) throws Exception {
        try (SSLSocket socket = socket()) {
            socket.setEnabledProtocols(new String[] {protocol});
            socket.startHandshake();
            return socket.getSession().getProtocol();
        }
    }

    /** A socket that checks the certificate as an HTTPS client does: against the test root, for 127.0.0.1. */
    private SSLSocket socket() throws Exception {
        SSLSocket socket = (SSLSocket) ca.clientContext().getSocketFactory().createSocket("127.0.0.1", parley.port());
        socket.setSoTimeout(10_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        return socket;
    }

    private JsonNode tlsCheck() throws Exception {
        HttpResponse<String> health = parley.get("/observe/health");
        for (JsonNode check : JSON.readTree(health.body()).path("checks")) {
            if (check.path("name").asText().equals("tls-certificate")) {
                return check;
            }
        }
        throw new AssertionError("no tls-certificate check: " + health.body());
    }

    /** Replaces a file whole, as a deployment tool does (write aside, then rename). */
    private static void replace(Path from, Path to) throws IOException {
        Path part = to.resolveSibling(to.getFileName() + ".part");
        Files.copy(from, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static ObjectNode audiohookMessage(String id, String type, long seq) {
        ObjectNode m = JSON.createObjectNode().put("version", "2").put("id", id).put("type", type).put("seq", seq)
                .put("serverseq", seq - 1).put("position", "PT0S");
        m.putObject("parameters");
        return m;
    }

    private static Process openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        return p;
    }

    private static String readToEnd(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            in.transferTo(out);
        } catch (IOException reset) {
            // a reset is a close too
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    /** A WebSocket client through the server's trusting HTTP client, keeping every JSON message. */
    private static final class Socket extends JsonSocket {
        static Socket open(ParleyServer parley, String path, Map<String, String> headers) throws Exception {
            Socket socket = new Socket();
            socket.open(parley.client(), parley.wsWithoutToken(path), new HashMap<>(headers));
            return socket;
        }

        void send(Object json) throws Exception {
            sendText(JSON.writeValueAsString(json));
        }

        JsonNode await(Predicate<JsonNode> match) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                for (JsonNode m : received()) {
                    if (match.test(m)) {
                        return m;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no matching message; received " + received());
        }
    }

    /** Everything written to standard error (where Parley logs) while open, still passed on. */
    private static final class Stderr implements AutoCloseable {
        private final PrintStream original = System.err;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        Stderr() {
            System.setErr(new PrintStream(new OutputStream() {
                @Override
                public void write(int b) {
                    copy.write(b);
                    original.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    copy.write(b, off, len);
                    original.write(b, off, len);
                }
            }, true));
        }

        String text() {
            return copy.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }
}
