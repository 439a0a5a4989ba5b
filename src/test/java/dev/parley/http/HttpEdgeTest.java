package dev.parley.http;

import dev.parley.testing.LogCapture;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.RawSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests written by hand that no endpoint should see: each is answered by the HTTP edge with its
 * status and reason and the connection closed, and together they log one line, with no stack trace.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpEdgeTest {

    private static final String UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private static ParleyServer parley;
    private static String host;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.recognizer", "none", "parley.translation.enabled", "false",
                "parley.tts.enabled", "false", "parley.webhooks.enabled", "false"));
        host = "Host: 127.0.0.1:" + parley.port() + "\r\n";
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    /** Sends the bytes on a new connection; returns the whole response, and whether the server then closed the connection. */
    private static String exchange(String request, boolean[] closed) throws Exception {
        try (RawSocket s = RawSocket.connect(parley.port())) {
            s.write(request);
            String response = s.readResponse();
            closed[0] = s.closedByServer(Duration.ofSeconds(2));
            return response;
        }
    }

    @Test
    @Order(1) // first: the log line it counts is the first refusal's
    void garbageGets400AndOneLogLineWithoutAStackTrace() throws Exception {
        Map<String, String> garbage = new LinkedHashMap<>();
        garbage.put("GET /v1/listen?%%% HTTP/1.1\r\n" + host + UPGRADE + "\r\n", "not valid percent-encoding");
        garbage.put("GET /v1/realtime?intent=transcription&%%% HTTP/1.1\r\n" + host + UPGRADE + "\r\n", "not valid percent-encoding");
        garbage.put("GET /%%zz HTTP/1.1\r\n" + host + "\r\n", "not valid percent-encoding");
        garbage.put("GET /api/languages?a=%zz HTTP/1.1\r\n" + host + "\r\n", "not valid percent-encoding");
        garbage.put("GET /v1/listen HTTP/1.1\r\n" + UPGRADE + "\r\n", "needs a Host header");
        garbage.put("GET /audiohook HTTP/1.1\r\n" + UPGRADE + "\r\n", "needs a Host header");
        garbage.put("GET /observe/health/live HTTP/1.1\r\n\r\n", "needs a Host header");
        garbage.put("GET /observe/health/live HTTP/1.0\r\n\r\n", "needs a Host header");
        garbage.put("GET /observe/health/live HTTP/1.1\r\nHost: a b\r\n\r\n", "not a host and port");
        garbage.put("GET /observe/health/live HTTP/1.1\r\nHost: a:xx\r\n\r\n", "not a host and port");
        garbage.put("GET abc HTTP/1.1\r\n" + host + "\r\n", "must be a path");
        garbage.put("OPTIONS * HTTP/1.1\r\n" + host + "\r\n", "must be a path");
        try (LogCapture log = LogCapture.start()) {
            for (Map.Entry<String, String> g : garbage.entrySet()) {
                boolean[] closed = {false};
                String response = exchange(g.getKey(), closed);
                String line = g.getKey().substring(0, g.getKey().indexOf('\r'));
                assertTrue(response.startsWith("HTTP/1.1 400 ") || response.startsWith("HTTP/1.0 400 "), line + " -> " + response);
                assertTrue(response.contains(g.getValue()), line + " -> " + response);
                assertTrue(closed[0], line + ": the connection is closed after the answer");
            }
            Thread.sleep(300);
            String logged = log.text();
            assertFalse(logged.contains("ERROR"), logged);
            assertFalse(logged.contains("Exception") || logged.contains("\tat "), logged);
            assertEquals(1, logged.lines().filter(l -> l.contains("Refused a request")).count(),
                    "one line for the " + garbage.size() + " refusals within 10 s: " + logged);
        }
        boolean[] closed = {false};
        String ok = exchange("GET /observe/health/live HTTP/1.1\r\n" + host + "\r\n", closed);
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
        assertFalse(closed[0], "a good request keeps its connection");
    }

    @Test
    void requestsFromAProxyThatCouldBeReadTwoWaysAreRefusedAndTheirConnectionClosed() throws Exception {
        String next = "GET /observe/health/live HTTP/1.1\r\n" + host + "\r\n";   // pipelined: must not be answered
        Map<String, String> ambiguous = new LinkedHashMap<>();
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + next, "400 |Content-Length and Transfer-Encoding together");
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
                + "0\r\n\r\n" + next, "400 |Content-Length and Transfer-Encoding together");
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Content-Length: 0\r\nTransfer-Encoding: xchunked\r\n\r\n"
                + next, "400 |Content-Length and Transfer-Encoding together");
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n"
                + "0\r\n\r\n" + next, "501 |Transfer-Encoding xchunked is not supported");
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n"
                + "0\r\n\r\n" + next, "501 |Transfer-Encoding gzip, chunked is not supported");
        ambiguous.put("POST /api/realtime-token HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + next, "501 |Transfer-Encoding chunked,chunked is not supported");
        ambiguous.put("GET /observe/health/live HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n" + next,
                "400 |exactly one Host header");
        for (Map.Entry<String, String> a : ambiguous.entrySet()) {
            String[] expected = a.getValue().split("\\|");
            try (RawSocket s = RawSocket.connect(parley.port())) {
                s.write(a.getKey());
                String response = s.readResponse();
                String request = a.getKey().substring(0, a.getKey().indexOf("\r\n\r\n")).replace("\r\n", " / ");
                assertTrue(response.startsWith("HTTP/1.1 " + expected[0]), request + " -> " + response);
                assertTrue(response.contains(expected[1]), request + " -> " + response);
                assertEquals("", s.readResponse(), request + ": the pipelined request is not answered");
            }
        }
        // The same requests, unambiguous, are answered and keep their connection.
        try (RawSocket s = RawSocket.connect(parley.port())) {
            s.write("POST /api/realtime-token HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + next);
            assertTrue(s.readResponse().startsWith("HTTP/1.1 200 "));
            assertTrue(s.readResponse().startsWith("HTTP/1.1 200 "), "the pipelined request is answered");
        }
    }

    @Test
    void cleartextHttp2IsOffUnlessConfigured() throws Exception {
        // An upgrade to h2c is ignored: the request is answered over HTTP/1.1.
        try (RawSocket s = RawSocket.connect(parley.port())) {
            s.write("GET /observe/health/live HTTP/1.1\r\n" + host + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            String response = s.readResponse();
            assertTrue(response.startsWith("HTTP/1.1 200 "), response);
        }
        // HTTP/2 with prior knowledge: its preface is read as an HTTP/1 request of an unknown version,
        // answered in text (Vert.x: 501), where an HTTP/2 server would answer with a binary SETTINGS frame.
        try (RawSocket s = RawSocket.connect(parley.port())) {
            s.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            String response = s.readResponse();
            assertTrue(response.matches("(?s)HTTP/\\d\\.\\d [45]\\d\\d .*"), response);
            assertTrue(s.closedByServer(Duration.ofSeconds(2)));
        }
        // Configured, it is served.
        try (ParleyServer h2c = ParleyServer.start(Map.of("parley.http.h2c", "true", "parley.recognizer", "none",
                "parley.translation.enabled", "false", "parley.tts.enabled", "false", "parley.webhooks.enabled", "false"));
             RawSocket s = RawSocket.connect(h2c.port())) {
            s.write("GET /observe/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            String head = s.readHead();
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
        }
    }
}
