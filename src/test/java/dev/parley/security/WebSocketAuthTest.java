package dev.parley.security;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.parley.security.TestClock.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WebSocketAuthTest {

    private static final String API_KEY = "server-to-server-key-0123456789";

    private final TestClock clock = new TestClock();
    private final AuthSettings settings = settings(AuthSettings.API_KEYS, API_KEY);
    private final SigningKeys keys = SigningKeys.start(settings, clock);
    private final TokenService tokens = new TokenService(settings, keys, clock);
    private final WebSocketAuth auth = new WebSocketAuth(tokens, settings);

    @AfterEach
    void closeKeys() {
        keys.close();
    }

    @Test
    void aBrowserOpensWithTheQueryToken() {
        String token = tokens.issue("a").value();
        assertEquals(Verdict.OK, auth.check(token, null));
        assertEquals(Verdict.Reason.REUSED, auth.check(token, null).reason());
        assertEquals(Verdict.OK, auth.check(tokens.issue("a").value(), "Basic dXNlcjpwYXNz"),
                "another scheme is not a bearer credential");
    }

    @Test
    void aBearerTokenComesBeforeTheQueryToken() {
        String query = tokens.issue("a").value();
        String bearer = tokens.issue("a").value();
        assertEquals(Verdict.OK, auth.check(query, "Bearer " + bearer));
        assertEquals(Verdict.Reason.REUSED, auth.check(null, "bearer  " + bearer + " ").reason());
        assertEquals(Verdict.OK, tokens.redeem(query), "the query token was not used up");
        assertEquals(Verdict.Reason.MALFORMED, auth.check(tokens.issue("a").value(), "Bearer v1.nope").reason());
    }

    @Test
    void aConfiguredApiKeyOpensAsBearerButNotInTheQuery() {
        assertEquals(Verdict.TRUSTED, auth.check(null, "Bearer " + API_KEY), "an API key is trusted, a token is not");
        assertEquals(Verdict.TRUSTED, auth.check(null, "Bearer " + API_KEY), "an API key is not used up");
        assertEquals(Verdict.Reason.FORGED, auth.check(null, "Bearer " + API_KEY + "x").reason());
        assertEquals(Verdict.Reason.MALFORMED, auth.check(API_KEY, null).reason(), "URLs end up in logs");
    }

    @Test
    void noCredentialIsMissingUnlessAuthIsOff() {
        assertEquals(Verdict.Reason.MISSING, auth.check(null, null).reason());
        assertEquals(Verdict.Reason.MISSING, auth.check("", "Bearer ").reason());
        WebSocketAuth off = new WebSocketAuth(tokens, settings(AuthSettings.REQUIRED, "false"));
        assertEquals(Verdict.OK, off.check(null, null));
    }
}
