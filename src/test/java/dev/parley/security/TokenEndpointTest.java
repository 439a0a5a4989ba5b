package dev.parley.security;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.parley.security.TestClock.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenEndpointTest {

    private static Vertx vertx;
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final TestClock clock = new TestClock();
    private SigningKeys keys;
    private TokenService tokens;
    private HttpServer server;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        keys.close();
    }

    /** Serves the endpoint on 127.0.0.1 with these settings; returns its base URI. */
    private URI serve(AuthSettings settings) throws Exception {
        keys = SigningKeys.start(settings, clock);
        tokens = new TokenService(settings, keys, clock);
        Router router = Router.router(vertx);
        TokenEndpoint.mount(router, tokens, new RateLimiter(settings, clock));
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return URI.create("http://127.0.0.1:" + server.actualPort() + TokenEndpoint.PATH);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return CLIENT.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void getAndPostAnswerAFreshUncacheableTokenThatOpensOneConnection() throws Exception {
        URI uri = serve(settings());
        for (HttpRequest.Builder request : new HttpRequest.Builder[] {HttpRequest.newBuilder(uri).GET(),
                HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody())}) {
            HttpResponse<String> response = send(request);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(""));
            assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
            JsonObject body = new JsonObject(response.body());
            assertEquals(TestClock.START / 1000 + 60, body.getLong("expires_at"));
            assertEquals(Verdict.OK, tokens.redeem(body.getString("token")));
            assertEquals(Verdict.Reason.REUSED, tokens.redeem(body.getString("token")).reason());
        }
        assertEquals(405, send(HttpRequest.newBuilder(uri).DELETE()).statusCode());
    }

    @Test
    void pastTheBurstAClientGets429WithRetryAfterAndAForwardedForHeaderDoesNotHelp() throws Exception {
        URI uri = serve(settings(AuthSettings.RATE_BURST, "3"));
        for (int i = 0; i < 3; i++) {
            assertEquals(200, send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "192.0.2." + i)).statusCode());
        }
        HttpResponse<String> limited = send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "192.0.2.9"));
        assertEquals(429, limited.statusCode());
        assertEquals("2", limited.headers().firstValue("Retry-After").orElse(""));
        JsonObject error = new JsonObject(limited.body()).getJsonObject("error");
        assertEquals("rate_limited", error.getString("code"));
        assertTrue(error.getString("message").contains("2 s"), error.getString("message"));

        clock.advance(Duration.ofSeconds(2));
        assertEquals(200, send(HttpRequest.newBuilder(uri)).statusCode(), "refilled");
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnLimit() throws Exception {
        URI uri = serve(settings(AuthSettings.RATE_BURST, "1", AuthSettings.TRUST_FORWARDED_FOR, "true"));
        assertEquals(200, send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "192.0.2.1")).statusCode());
        assertEquals(429, send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "192.0.2.1")).statusCode());
        assertEquals(200, send(HttpRequest.newBuilder(uri).header("X-Forwarded-For", "192.0.2.2")).statusCode());
    }
}
