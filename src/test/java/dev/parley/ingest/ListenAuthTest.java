package dev.parley.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /v1/listen takes a short-lived token from /api/realtime-token (in the query, as browsers must, or
 * as a Bearer header) or a configured API key, and refuses anything else with close code 4401.
 */
class ListenAuthTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String API_KEY = "server-side-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ParleyServer parley;

    @BeforeAll
    static void start() throws Exception {
        // Expiry is in whole seconds, so a 2 s token lives between 1 and 2 s.
        parley = ParleyServer.start(Map.of("parley.auth.token-ttl-s", "2", "parley.auth.api-keys", API_KEY));
    }

    @AfterAll
    static void stop() {
        parley.close();
    }

    private static String token() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http("/api/realtime-token"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(""));
        long expiresAt = JSON.readTree(response.body()).path("expires_at").asLong();
        assertTrue(expiresAt <= System.currentTimeMillis() / 1000 + 3, "valid at most the configured 2 s");
        return JSON.readTree(response.body()).path("token").asText();
    }

    private static void assertRefused(URI uri, Map<String, String> headers, String reason) throws Exception {
        try (ListenClient client = ListenClient.connect(uri, headers)) {
            assertEquals(4401, client.awaitClose(WAIT));
            assertTrue(client.closeReason().toLowerCase().contains(reason), client.closeReason());
            assertTrue(client.events().isEmpty(), "no session without a valid token");
        }
    }

    @Test
    void aFreshTokenInTheQueryOpensOneSession() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.wsWithoutToken("/v1/listen?token=" + token()))) {
            client.await("session.created", WAIT);
        }
    }

    @Test
    void aTokenAsBearerHeaderOpensASession() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.wsWithoutToken("/v1/listen"),
                Map.of("Authorization", "Bearer " + token()))) {
            client.await("session.created", WAIT);
        }
    }

    @Test
    void aConfiguredApiKeyAsBearerOpensASessionButNotInTheQuery() throws Exception {
        try (ListenClient client = ListenClient.connect(parley.wsWithoutToken("/v1/listen"),
                Map.of("Authorization", "Bearer " + API_KEY))) {
            client.await("session.created", WAIT);
        }
        assertRefused(parley.wsWithoutToken("/v1/listen?token=" + API_KEY), Map.of(), "");
    }

    @Test
    void aMissingTokenIsRefused() throws Exception {
        assertRefused(parley.wsWithoutToken("/v1/listen"), Map.of(), "token");
    }

    @Test
    void aForgedTokenIsRefused() throws Exception {
        String token = token();
        char last = token.charAt(token.length() - 1);
        String forged = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertRefused(parley.wsWithoutToken("/v1/listen?token=" + forged), Map.of(), "");
    }

    @Test
    void aTokenOpensOnlyOneWebSocket() throws Exception {
        String token = token();
        try (ListenClient first = ListenClient.connect(parley.wsWithoutToken("/v1/listen?token=" + token))) {
            first.await("session.created", WAIT);
            assertRefused(parley.wsWithoutToken("/v1/listen?token=" + token), Map.of(), "used");
        }
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String token = token();
        Thread.sleep(3100);
        assertRefused(parley.wsWithoutToken("/v1/listen?token=" + token), Map.of(), "expired");
    }

    @Test
    void theTokenEndpointIsRateLimitedPerClientWithRetryAfter() throws Exception {
        try (ParleyServer strict = ParleyServer.start(Map.of(
                "parley.auth.rate-limit.per-minute", "2", "parley.auth.rate-limit.burst", "2"))) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(strict.http("/api/realtime-token")).GET().build();
            assertEquals(200, http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> refused = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(429, refused.statusCode());
            assertTrue(Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        }
    }
}
