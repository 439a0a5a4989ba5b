package dev.parley.security;

import dev.parley.Config;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthSettingsTest {

    private static final String KEY = SigningKeysTest.key('k');
    private static final String API_KEY = "sk-parley-secret-0123456789";

    @Test
    void defaultsAreSafeAndEveryKeyIsRead() {
        AuthSettings defaults = AuthSettings.fromProperties(key -> null);
        assertTrue(defaults.required());
        assertEquals(Duration.ofSeconds(60), defaults.tokenTtl());
        assertNull(defaults.signingKey());
        assertNull(defaults.keysFile());
        assertEquals(Duration.ofHours(1), defaults.rotateEvery());
        assertEquals(Set.of(), defaults.apiKeys());
        assertEquals(30, defaults.ratePerMinute());
        assertEquals(10, defaults.burst());
        assertFalse(defaults.trustForwardedFor());

        AuthSettings set = AuthSettings.fromProperties(Map.of(
                "parley.auth.required", "false",
                "parley.auth.token-ttl-s", "15",
                "parley.auth.signing-key", KEY.replace('+', '-').replace('/', '_').replace("=", ""),
                "parley.auth.rotate-every-s", "0",
                "parley.auth.api-keys", API_KEY + ",second-key-abcdefghijkl,",
                "parley.auth.rate-limit.per-minute", "120",
                "parley.auth.rate-limit.burst", "3",
                "parley.auth.trust-forwarded-for", "true")::get);
        assertFalse(set.required());
        assertEquals(Duration.ofSeconds(15), set.tokenTtl());
        assertArrayEquals(Base64.getDecoder().decode(KEY), set.signingKey(), "URL-safe base64 is accepted");
        assertEquals(Duration.ZERO, set.rotateEvery());
        assertEquals(Set.of(API_KEY, "second-key-abcdefghijkl"), set.apiKeys());
        assertEquals(120, set.ratePerMinute());
        assertEquals(3, set.burst());
        assertTrue(set.trustForwardedFor());
        assertEquals(Path.of("/etc/parley/keys"),
                AuthSettings.fromProperties(Map.of("parley.auth.keys-file", "/etc/parley/keys")::get).keysFile());
    }

    @Test
    void aBadValueNamesItsPropertyItsVariableAndWhatToChange() {
        Map<String, String> bad = Map.of(
                "parley.auth.token-ttl-s", "61",
                "parley.auth.rotate-every-s", "30",
                "parley.auth.required", "yes",
                "parley.auth.rate-limit.per-minute", "0",
                "parley.auth.rate-limit.burst", "many",
                "parley.auth.trust-forwarded-for", "1");
        bad.forEach((key, value) -> {
            String message = refused(Map.of(key, value));
            assertTrue(message.contains(key + "=" + value), message);
            assertTrue(message.contains(Config.envName(key)), message);
            assertTrue(message.contains("expected"), message);
        });
        assertTrue(refused(Map.of("parley.auth.token-ttl-s", "0")).contains("from 1 to 60"));
    }

    @Test
    void secretsAreNeverShownNotEvenWhenRefused() {
        for (String badKey : new String[] {KEY.substring(0, 40), "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!"}) {
            String message = refused(Map.of("parley.auth.signing-key", badKey));
            assertTrue(message.contains("PARLEY_AUTH_SIGNING_KEY"), message);
            assertTrue(message.contains("32"), message);
            assertFalse(message.contains(badKey.substring(0, 10)), message);
        }
        String shortApiKey = "tooShort1";
        String message = refused(Map.of("parley.auth.api-keys", API_KEY + "," + shortApiKey));
        assertTrue(message.contains("PARLEY_AUTH_API_KEYS"), message);
        assertFalse(message.contains(shortApiKey) || message.contains(API_KEY), message);

        String both = refused(Map.of("parley.auth.signing-key", KEY, "parley.auth.keys-file", "/k"));
        assertTrue(both.contains("parley.auth.keys-file") && both.contains("parley.auth.signing-key"), both);
        assertFalse(both.contains(KEY.substring(0, 10)), both);

        AuthSettings settings = AuthSettings.fromProperties(
                Map.of("parley.auth.signing-key", KEY, "parley.auth.api-keys", API_KEY)::get);
        assertFalse(settings.toString().contains(KEY.substring(0, 10)), settings.toString());
        assertFalse(settings.toString().contains(API_KEY), settings.toString());
    }

    private static String refused(Map<String, String> values) {
        return assertThrows(IllegalArgumentException.class, () -> AuthSettings.fromProperties(values::get))
                .getMessage();
    }
}
