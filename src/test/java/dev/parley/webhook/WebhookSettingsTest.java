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
        assertEquals(0, defaults.maxAttempts(), "no limit on attempts");
        assertEquals(Duration.ofSeconds(1), defaults.initialBackoff());
        assertEquals(Duration.ofHours(1), defaults.maxBackoff());
        assertEquals(2.0, defaults.backoffMultiplier());
        assertEquals(Duration.ofHours(24), defaults.giveUpAfter());
        assertEquals(Duration.ofSeconds(10), defaults.requestTimeout());

        Map<String, String> values = valid();
        values.put("parley.webhooks.dir", "/var/lib/parley/webhooks");
        values.put("parley.webhooks.max-attempts", "12");
        values.put("parley.webhooks.initial-backoff-ms", "250");
        values.put("parley.webhooks.max-backoff-ms", "60000");
        values.put("parley.webhooks.timeout-ms", "2500");
        values.put("parley.webhooks.concurrency", "2");
        values.put("parley.webhooks.backoff-multiplier", "3");
        values.put("parley.webhooks.give-up-after-s", "90");
        WebhookSettings set = read(values);
        assertEquals(Duration.ofSeconds(90), set.giveUpAfter());
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
                "parley.webhooks.max-attempts", "-1",
                "parley.webhooks.give-up-after-s", "0",
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
        assertEquals(3_600_000, WebhookDispatcher.backoffMillis(30, s, 1.0));
        assertEquals(1_800_000, WebhookDispatcher.backoffMillis(30, s, 0.0));
        long jittered = WebhookDispatcher.backoffMillis(4, s, 0.37);
        assertTrue(jittered >= 4000 && jittered <= 8000, String.valueOf(jittered));
    }

    /**
     * The default schedule covers a day: attempts at 0, 1, 3, 7, ... s, doubling to hourly, and the last one 24 h
     * after the event, whatever the jitter; then the delivery is dead. Prints the attempt times (README, Webhooks).
     */
    @Test
    void theDefaultScheduleTriesForADayAndMakesItsLastAttemptAt24Hours() {
        WebhookSettings s = WebhookSettings.of(List.of(), null, Path.of("x"));
        long day = Duration.ofHours(24).toMillis();
        for (double jitter : new double[]{1.0, 0.0, 0.5}) {
            List<Long> times = attemptTimes(s, jitter);
            assertEquals(day, times.get(times.size() - 1), "the last attempt is at 24 h");
            for (int i = 1; i < times.size(); i++) {
                assertTrue(times.get(i) - times.get(i - 1) <= Duration.ofHours(1).toMillis(), "at least hourly");
            }
            System.out.printf("jitter %.1f: %d attempts, at %s%n", jitter, times.size(),
                    times.stream().map(WebhookSettingsTest::clock).toList());
        }
        assertEquals(36, attemptTimes(s, 1.0).size(), "without jitter: 13 in the first 68 min, then hourly, then at 24 h");
        assertEquals(60, attemptTimes(s, 0.0).size(), "every wait halved by the jitter");
    }

    /** When a delivery that always fails is attempted, in ms after its event: the dispatcher's own arithmetic. */
    static List<Long> attemptTimes(WebhookSettings s, double jitter) {
        List<Long> times = new java.util.ArrayList<>(List.of(0L));
        long end = s.giveUpAfter().toMillis();
        for (int failures = 1; times.get(times.size() - 1) < end; failures++) {
            long now = times.get(times.size() - 1);
            times.add(now + WebhookDispatcher.retryDelayMillis(failures, 0, end - now, s, jitter));
        }
        return times;
    }

    private static String clock(long millis) {
        long seconds = millis / 1000;
        return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
}
