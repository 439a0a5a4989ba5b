package dev.parley.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static dev.parley.security.TestClock.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SigningKeysTest {

    private static final String KEY_A = key('a');
    private static final String KEY_B = key('b');
    private static final String KEY_C = key('c');

    private final TestClock clock = new TestClock();

    @Test
    void aTokenSignedBeforeRotationRedeemsUntilItExpiresAndNewTokensUseTheNewKey() {
        AuthSettings settings = settings();
        try (SigningKeys keys = SigningKeys.start(settings, clock)) {
            TokenService tokens = new TokenService(settings, keys, clock);
            String oldKey = keys.currentKeyId();
            String before = tokens.issue("a").value();
            String beforeToo = tokens.issue("a").value();

            clock.advance(Duration.ofSeconds(1));
            keys.rotate();
            String after = tokens.issue("a").value();
            assertNotEquals(oldKey, keys.currentKeyId());
            assertTrue(after.startsWith("v1." + keys.currentKeyId() + "."));

            clock.advance(Duration.ofSeconds(58));
            assertEquals(Verdict.OK, tokens.redeem(before));
            assertEquals(Verdict.OK, tokens.redeem(after));
            clock.advance(Duration.ofSeconds(1));
            assertEquals(Verdict.Reason.EXPIRED, tokens.redeem(beforeToo).reason());
            clock.advance(Duration.ofSeconds(1));
            assertEquals(null, keys.find(oldKey), "the old key is dropped once its tokens have expired");
        }
    }

    @Test
    void aGeneratedKeyIsReplacedAutomaticallyAndItsTokensStayValid() throws Exception {
        AuthSettings defaults = settings();
        AuthSettings everyFewMillis = new AuthSettings(true, defaults.tokenTtl(), null, null, Duration.ofMillis(20),
                Set.of(), 30, 10, false);
        try (SigningKeys keys = SigningKeys.start(everyFewMillis, clock)) {
            TokenService tokens = new TokenService(everyFewMillis, keys, clock);
            String first = keys.currentKeyId();
            String token = tokens.issue("a").value();
            awaitTrue(() -> !keys.currentKeyId().equals(first));
            assertEquals(Verdict.OK, tokens.redeem(token));
        }
    }

    @Test
    void aConfiguredKeySignsAndIsNeverReplacedAutomatically() throws Exception {
        AuthSettings configured = settings(AuthSettings.SIGNING_KEY, KEY_A);
        AuthSettings everyFewMillis = new AuthSettings(true, configured.tokenTtl(), configured.signingKey(), null,
                Duration.ofMillis(20), Set.of(), 30, 10, false);
        try (SigningKeys keys = SigningKeys.start(everyFewMillis, clock)) {
            assertEquals(idOf(KEY_A), keys.currentKeyId());
            Thread.sleep(200);
            assertEquals(idOf(KEY_A), keys.currentKeyId());
        }
    }

    @Test
    void anEditedKeysFileIsPickedUpWithoutRestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        Files.writeString(file, "# signing keys, newest first\n" + KEY_A + "\n");
        AuthSettings settings = settings(AuthSettings.KEYS_FILE, file.toString());
        try (SigningKeys keys = SigningKeys.start(settings, clock, Duration.ofMillis(20))) {
            TokenService tokens = new TokenService(settings, keys, clock);
            assertEquals(idOf(KEY_A), keys.currentKeyId());
            String signedByA = tokens.issue("a").value();

            Files.writeString(file, KEY_B + "\n\n" + KEY_A + "\n");
            awaitTrue(() -> keys.currentKeyId().equals(idOf(KEY_B)));
            String signedByB = tokens.issue("a").value();
            assertTrue(signedByB.startsWith("v1." + idOf(KEY_B) + "."));

            Files.writeString(file, KEY_C);
            awaitTrue(() -> keys.currentKeyId().equals(idOf(KEY_C)));
            assertEquals(Verdict.OK, tokens.redeem(signedByA), "a key that leaves the file keeps its tokens valid");
            assertEquals(Verdict.OK, tokens.redeem(signedByB));

            clock.advance(Duration.ofSeconds(60));
            Files.writeString(file, "not a key at all\n");
            Files.delete(file);
            Thread.sleep(100);
            assertEquals(idOf(KEY_C), keys.currentKeyId(), "a broken or missing file keeps the keys in use");
            assertEquals(null, keys.find(idOf(KEY_A)));
        }
    }

    @Test
    void aBadKeysFileStopsStartWithoutShowingItsContent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SigningKeys.start(settings(AuthSettings.KEYS_FILE, file.toString()), clock));
        assertTrue(missing.getMessage().contains("parley.auth.keys-file"), missing.getMessage());
        assertTrue(missing.getMessage().contains("PARLEY_AUTH_KEYS_FILE"), missing.getMessage());

        Files.writeString(file, KEY_A + "\n" + KEY_B.substring(0, 20) + "\n");
        IllegalArgumentException shortKey = assertThrows(IllegalArgumentException.class,
                () -> SigningKeys.start(settings(AuthSettings.KEYS_FILE, file.toString()), clock));
        assertTrue(shortKey.getMessage().contains("line 2"), shortKey.getMessage());
        assertFalse(shortKey.getMessage().contains(KEY_A.substring(0, 12)), shortKey.getMessage());
        assertFalse(shortKey.getMessage().contains(KEY_B.substring(0, 12)), shortKey.getMessage());

        Files.writeString(file, "# nothing yet\n");
        assertThrows(IllegalArgumentException.class,
                () -> SigningKeys.start(settings(AuthSettings.KEYS_FILE, file.toString()), clock));
    }

    @Test
    void keyIdsComeFromTheKeysHashAndNothingPrintsAKey() {
        try (SigningKeys keys = SigningKeys.start(settings(AuthSettings.SIGNING_KEY, KEY_A), clock)) {
            assertEquals(idOf(KEY_A), keys.currentKeyId());
            keys.rotate();
            String printed = keys.toString();
            assertEquals("SigningKeys[" + keys.currentKeyId() + ", " + idOf(KEY_A) + "]", printed);
        }
    }

    /** Base64 of 32 bytes, all {@code fill}. */
    static String key(char fill) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) fill);
        return Base64.getEncoder().encodeToString(bytes);
    }

    static String idOf(String base64Key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(Base64.getDecoder().decode(base64Key));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 5 s");
            Thread.sleep(10);
        }
    }
}
