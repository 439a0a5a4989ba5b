package dev.parley.security;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static dev.parley.security.TestClock.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenServiceTest {

    private final TestClock clock = new TestClock();
    private final AuthSettings settings = settings();
    private final SigningKeys keys = SigningKeys.start(settings, clock);
    private final TokenService tokens = new TokenService(settings, keys, clock);

    @AfterEach
    void closeKeys() {
        keys.close();
    }

    @Test
    void anIssuedTokenRedeemsOnceThenIsReused() {
        TokenService.Token token = tokens.issue("127.0.0.1");
        assertEquals(TestClock.START / 1000 + 60, token.expiresAt());
        assertTrue(token.value().startsWith("v1." + keys.currentKeyId() + "."), token.value());

        assertEquals(Verdict.OK, tokens.redeem(token.value()));
        Verdict again = tokens.redeem(token.value());
        assertEquals(Verdict.Reason.REUSED, again.reason());
        assertEquals("reused", again.reason().code());
    }

    @Test
    void aTokenIsRefusedAsExpiredOnceItsLifetimeHasPassed() {
        AuthSettings shortLived = settings(AuthSettings.TOKEN_TTL_S, "10");
        TokenService service = new TokenService(shortLived, keys, clock);
        String early = service.issue("a").value();
        String late = service.issue("a").value();

        clock.advance(Duration.ofMillis(9_999));
        assertEquals(Verdict.OK, service.redeem(early));
        clock.advance(Duration.ofMillis(1));
        assertEquals(Verdict.Reason.EXPIRED, service.redeem(late).reason());
    }

    @Test
    void aChangedCharacterAnywhereOrAnotherKeyMakesATokenForged() {
        String token = tokens.issue("a").value();
        String[] parts = token.split("\\.");
        String laterExpiry = String.join(".", parts[0], parts[1], Long.toString(Long.parseLong(parts[2]) + 3600),
                parts[3], parts[4]);
        for (String changed : List.of(flip(token, token.length() - 20), flip(token, token.indexOf(parts[3])),
                laterExpiry, String.join(".", parts[0], "AAAAAAAA", parts[2], parts[3], parts[4]))) {
            assertEquals(Verdict.Reason.FORGED, tokens.redeem(changed).reason(), changed);
        }

        try (SigningKeys otherKeys = SigningKeys.start(settings, clock)) {
            String foreign = new TokenService(settings, otherKeys, clock).issue("a").value();
            assertEquals(Verdict.Reason.FORGED, tokens.redeem(foreign).reason());
        }
        assertEquals(Verdict.OK, tokens.redeem(token), "refusals must not use the token up");
    }

    @Test
    void anythingThatIsNotAWellFormedTokenIsMalformed() {
        String token = tokens.issue("a").value();
        List<String> garbage = List.of("abc", "v1.", "v1....", "v1.a.b.c.d", "Bearer " + token, token + ".x",
                token + "=", token.replace("v1.", "v2."), token.substring(0, token.length() - 1),
                token.replace(token.split("\\.")[2], "-5"), "v1." + "é".repeat(80), token.repeat(100));
        for (String value : garbage) {
            assertEquals(Verdict.Reason.MALFORMED, tokens.redeem(value).reason(), value);
        }
    }

    @Test
    void noTokenAtAllIsMissing() {
        for (String value : new String[] {null, "", "   "}) {
            assertEquals(Verdict.Reason.MISSING, tokens.redeem(value).reason());
            assertEquals(Verdict.Reason.MISSING, tokens.redeemApiKey(value).reason());
        }
    }

    @Test
    void refusalsFitACloseReasonAndNeverEchoTheToken() {
        String token = tokens.issue("a").value();
        String mac = token.substring(token.lastIndexOf('.') + 1);
        List<Verdict> refusals = new ArrayList<>(List.of(tokens.redeem(null), tokens.redeem(token + "x"),
                tokens.redeem(flip(token, token.length() - 5)), tokens.redeemApiKey(token)));
        assertEquals(Verdict.OK, tokens.redeem(token));
        refusals.add(tokens.redeem(token));
        clock.advance(Duration.ofMinutes(2));
        refusals.add(tokens.redeem(token));
        for (Verdict verdict : refusals) {
            assertFalse(verdict.ok());
            assertTrue(verdict.message().getBytes(StandardCharsets.UTF_8).length <= 120, verdict.message());
            for (String text : List.of(verdict.message(), verdict.toString())) {
                assertFalse(text.contains(mac), text);
                assertFalse(text.contains(token.substring(0, 40)), text);
            }
        }
        assertEquals(Set.of(Verdict.Reason.MISSING, Verdict.Reason.MALFORMED, Verdict.Reason.FORGED,
                Verdict.Reason.REUSED, Verdict.Reason.EXPIRED), refusals.stream().map(Verdict::reason).collect(
                Collectors.toSet()));
    }

    @Test
    void theTokenNeverAppearsInToString() {
        TokenService.Token token = tokens.issue("a");
        assertFalse(token.toString().contains(token.value()));
        assertFalse(token.toString().contains(token.value().substring(token.value().lastIndexOf('.') + 1)));
        assertTrue(token.toString().contains(Long.toString(token.expiresAt())));
    }

    @Test
    void configuredApiKeysMustMatchWhole() {
        String first = "sk-parley-0123456789abcdef";
        String second = "another-server-key-ZYXWVUTS";
        TokenService service = new TokenService(settings(AuthSettings.API_KEYS, first + " , " + second), keys, clock);

        assertEquals(Verdict.OK, service.redeemApiKey(first));
        assertEquals(Verdict.OK, service.redeemApiKey(second));
        for (String near : List.of(first.substring(0, first.length() - 1), first + "0", flip(first, 0),
                flip(first, first.length() - 1), first.toUpperCase(), first + "," + second, "x")) {
            Verdict verdict = service.redeemApiKey(near);
            assertEquals(Verdict.Reason.FORGED, verdict.reason(), near);
            assertFalse(verdict.message().contains(near));
        }
        assertEquals(Verdict.Reason.FORGED, tokens.redeemApiKey(first).reason(), "no keys configured, none pass");
    }

    @Test
    void usedTokensAreForgottenAfterExpiryAndBeyondTheBoundRefused() {
        TokenService small = new TokenService(settings, keys, clock, 3);
        for (int i = 0; i < 3; i++) {
            assertEquals(Verdict.OK, small.redeem(small.issue("a").value()));
        }
        String fourth = small.issue("a").value();
        assertEquals(Verdict.Reason.CAPACITY, small.redeem(fourth).reason());

        clock.advance(Duration.ofSeconds(30));
        String fifth = small.issue("a").value();
        assertEquals(Verdict.Reason.CAPACITY, small.redeem(fifth).reason(), "the first three may still be replayed");
        clock.advance(Duration.ofSeconds(30));
        assertEquals(Verdict.OK, small.redeem(fifth), "the first three have expired and were forgotten");
    }

    @Test
    void aThousandDistinctTokensRedeemedInParallelAllPass() throws Exception {
        List<String> issued = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            issued.add(tokens.issue("a").value());
        }
        assertEquals(1000, issued.stream().distinct().count());
        assertEquals(List.of(Verdict.OK), inParallel(issued).stream().distinct().toList());
    }

    @Test
    void oneTokenRedeemedAThousandTimesInParallelPassesExactlyOnce() throws Exception {
        String token = tokens.issue("a").value();
        List<Verdict> verdicts = inParallel(Collections.nCopies(1000, token));
        assertEquals(1, verdicts.stream().filter(Verdict::ok).count());
        assertEquals(999, verdicts.stream().filter(v -> v.reason() == Verdict.Reason.REUSED).count());
    }

    private List<Verdict> inParallel(List<String> values) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Verdict>> futures = new ArrayList<>();
            for (String value : values) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return tokens.redeem(value);
                }));
            }
            start.countDown();
            List<Verdict> verdicts = new ArrayList<>();
            for (Future<Verdict> future : futures) {
                verdicts.add(future.get());
            }
            return verdicts;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The text with one base64url character replaced by another. */
    static String flip(String text, int index) {
        char replacement = text.charAt(index) == 'A' ? 'B' : 'A';
        return text.substring(0, index) + replacement + text.substring(index + 1);
    }
}
