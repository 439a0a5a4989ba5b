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
import java.util.List;
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
    void requestsFromAProxyThatCouldBeReadTwoWaysAreRefused() throws Exception {
        String twoHosts = "GET /observe/health/live HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n";
        boolean[] closed = {false};
        String response = exchange(twoHosts, closed);
        assertTrue(response.startsWith("HTTP/1.1 400 ") && response.contains("exactly one Host header"), response);
        assertTrue(closed[0]);
        for (String ok : List.of("GET /observe/health/live HTTP/1.1\r\n" + host + "\r\n")) {
            assertTrue(exchange(ok, closed).startsWith("HTTP/1.1 200 "));
        }
    }
}
