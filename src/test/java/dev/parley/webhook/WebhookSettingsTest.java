package dev.parley.webhook;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookSettingsTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static WebhookSettings read(Map<String, String> values) {
        return WebhookSettings.fromProperties(values::get);
    }

    private static IllegalArgumentException refused(Map<String, String> values) {
        return assertThrows(IllegalArgumentException.class, () -> read(values));
    }

    private static Map<String, String> valid() {
        Map<String, String> values = new HashMap<>();
        values.put("parley.webhooks.urls", " https://a.example/hook , http://127.0.0.1:8081/x?token=abc ");
        values.put("parley.webhooks.secret", SECRET);
        return values;
    }

    @Test
    void readsEveryKeyAndFallsBackToTheDocumentedDefaults() {
        WebhookSettings defaults = read(valid());
        assertEquals(List.of(URI.create("https://a.example/hook"), URI.create("http://127.0.0.1:8081/x?token=abc")),
                defaults.urls());
        assertEquals(Path.of("./webhooks"), defaults.dir());
        assertEquals(8, defaults.maxAttempts());
        assertEquals(Duration.ofSeconds(1), defaults.initialBackoff());
        assertEquals(Duration.ofMinutes(5), defaults.maxBackoff());
        assertEquals(2.0, defaults.backoffMultiplier());
        assertEquals(Duration.ofSeconds(10), defaults.requestTimeout());

        Map<String, String> values = valid();
        values.put("parley.webhooks.dir", "/var/lib/parley/webhooks");
        values.put("parley.webhooks.max-attempts", "12");
        values.put("parley.webhooks.initial-backoff-ms", "250");
        values.put("parley.webhooks.max-backoff-ms", "60000");
        values.put("parley.webhooks.timeout-ms", "2500");
        values.put("parley.webhooks.concurrency", "2");
        values.put("parley.webhooks.backoff-multiplier", "3");
        WebhookSettings set = read(values);
        assertEquals(Path.of("/var/lib/parley/webhooks"), set.dir());
        assertEquals(12, set.maxAttempts());
        assertEquals(Duration.ofMillis(250), set.initialBackoff());
        assertEquals(Duration.ofSeconds(60), set.maxBackoff());
        assertEquals(Duration.ofMillis(2500), set.requestTimeout());
        assertEquals(2, set.concurrency());
        assertEquals(3.0, set.backoffMultiplier());
    }

    @Test
    void noUrlsMeansWebhooksOffAndNeedNoSecret() {
        WebhookSettings off = read(Map.of());
        assertFalse(off.enabled());
        assertEquals(List.of(), off.urls());
    }

    @Test
    void aBadSecretIsRefusedNamingThePropertyAndEnvVariableWithoutEchoingIt() {
        for (String bad : new String[]{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!!", "whsec_c2hvcnQ=", ""}) {
            Map<String, String> values = valid();
            values.put("parley.webhooks.secret", bad);
            IllegalArgumentException e = refused(values);
            assertTrue(e.getMessage().contains("parley.webhooks.secret"), e.getMessage());
            assertTrue(e.getMessage().contains("PARLEY_WEBHOOKS_SECRET"), e.getMessage());
            assertTrue(e.getMessage().contains("whsec_"), e.getMessage());
            if (!bad.isEmpty()) {
                assertFalse(e.getMessage().contains(bad.replace("whsec_", "")), "echoes the secret: " + e.getMessage());
            }
        }
    }

    @Test
    void urlsMustBeHttpOrHttpsWithAHostAndListedOnce() {
        for (String bad : new String[]{"ftp://a.example/x", "a.example/hook", "https:///nohost", "http://a b/",
                "https://a.example/h, https://a.example/h"}) {
            Map<String, String> values = valid();
            values.put("parley.webhooks.urls", bad);
            IllegalArgumentException e = refused(values);
            assertTrue(e.getMessage().contains("parley.webhooks.urls"), bad + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("PARLEY_WEBHOOKS_URLS"), e.getMessage());
        }
    }

    @Test
    void badNumbersAreRefusedNamingTheProperty() {
        Map<String, String> bad = Map.of(
                "parley.webhooks.max-attempts", "0",
                "parley.webhooks.initial-backoff-ms", "soon",
                "parley.webhooks.timeout-ms", "-5",
                "parley.webhooks.concurrency", "1000",
                "parley.webhooks.backoff-multiplier", "0.5");
        bad.forEach((key, value) -> {
            Map<String, String> values = valid();
            values.put(key, value);
            IllegalArgumentException e = refused(values);
            assertTrue(e.getMessage().contains(key), e.getMessage());
            assertTrue(e.getMessage().contains(dev.parley.Config.envName(key)), e.getMessage());
        });
        Map<String, String> values = valid();
        values.put("parley.webhooks.initial-backoff-ms", "5000");
        values.put("parley.webhooks.max-backoff-ms", "1000");
        IllegalArgumentException e = refused(values);
        assertTrue(e.getMessage().contains("parley.webhooks.max-backoff-ms"), e.getMessage());
        assertTrue(e.getMessage().contains("PARLEY_WEBHOOKS_MAX_BACKOFF_MS"), e.getMessage());
    }

    @Test
    void toStringNeverShowsTheSecretOrUrlTokens() {
        String text = read(valid()).toString();
        assertFalse(text.contains(SECRET.substring(6)), text);
        assertFalse(text.contains("token=abc"), text);
        assertTrue(text.contains("https://a.example/hook"), text);
    }

    @Test
    void backoffGrowsByTheMultiplierWithJitterUpToTheCap() {
        WebhookSettings s = WebhookSettings.of(List.of(), null, Path.of("x"));
        assertEquals(500, WebhookDispatcher.backoffMillis(1, s, 0.0));
        assertEquals(1000, WebhookDispatcher.backoffMillis(1, s, 1.0));
        assertEquals(2000, WebhookDispatcher.backoffMillis(2, s, 1.0));
        assertEquals(64_000, WebhookDispatcher.backoffMillis(7, s, 1.0));
        assertEquals(300_000, WebhookDispatcher.backoffMillis(30, s, 1.0));
        assertEquals(150_000, WebhookDispatcher.backoffMillis(30, s, 0.0));
        long jittered = WebhookDispatcher.backoffMillis(4, s, 0.37);
        assertTrue(jittered >= 4000 && jittered <= 8000, String.valueOf(jittered));
    }
}
