package dev.parley.metrics;

import dev.parley.testing.Exposition;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /observe/metrics} on Parley's own port: an exposition promtool accepts, whose counters follow a real
 * session streamed at real-time pace through the embedded recognizer and translator.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MetricsTest {

    private static final String LISTEN = "ingest=\"listen\"";

    @Test
    void theExpositionIsValidAndFollowsALiveSession() throws Exception {
        // A generous queue: other builds share this machine's two cores, and this test is about counting.
        try (WebhookReceiver receiver = new WebhookReceiver();
             ParleyServer parley = ParleyServer.start(Map.of("parley.tts.enabled", "false",
                     "parley.session.max-queued-audio-ms", "20000",
                     "parley.webhooks.urls", receiver.url(), "parley.webhooks.secret", WebhookReceiver.SECRET))) {
            Exposition before = scrape(parley);
            Exposition.Promtool own = before.only("parley_").check();
            assertEquals(0, own.exitCode(), "promtool check metrics on the parley_* series:\n" + own.output());
            // Camel's and Micrometer's JVM meters are Camel's naming (camelCase labels) and Micrometer's: promtool
            // lints them (exit 3) but must parse the whole exposition (exit 1 if it cannot).
            Exposition.Promtool all = before.check();
            assertTrue(all.exitCode() == 0 || all.exitCode() == 3, "the whole exposition parses:\n" + all.output());
            assertTrue(before.value("jvm_memory_used_bytes") > 0, "the JVM's own meters");
            assertEquals(8, before.value("parley_recognizer_decoders_free", "recognizer=\"pocketsphinx\""));

            WavFile audio = LibriVox.get("0870").at(16000);
            // The speaker then stays silent for 1.5 s: the final comes from the endpoint silence, as in a call.
            byte[] pcm = Arrays.copyOf(audio.pcm(), audio.pcm().length + 48000);
            System.arraycopy(WavFile.quiet(16000, 1500), 0, pcm, audio.pcm().length, 48000);
            int half = pcm.length / 2 / 640 * 640;
            int finals;
            int translations;
            try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000&targets=es"))) {
                client.sendAudio(new byte[641]); // not whole samples: ignored, counted as invalid_audio
                client.stream(Arrays.copyOf(pcm, half), 640, 32000, true);
                Exposition during = scrape(parley);
                assertEquals(1, during.value("parley_sessions_open", LISTEN));
                assertEquals(1, during.value("parley_recognizer_decoders_in_use"));
                client.stream(Arrays.copyOfRange(pcm, half, pcm.length), 640, 32000, true);
                client.endInput();
                client.await("session.closed", Duration.ofSeconds(60));
                finals = client.events("transcript.final").size();
                translations = client.events("translation.final").size();
            }
            assertTrue(finals >= 1, "the recording has speech");
            Exposition after = awaitIdle(parley);
            String hook = "receiver=\"" + URI.create(receiver.url()).getAuthority() + "\"";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (after.value("parley_webhook_pending", hook) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                after = scrape(parley);
            }
            assertEquals(receiver.verified().size(), after.value("parley_webhook_delivered_total", hook));
            assertEquals(finals + translations + 2, after.value("parley_webhook_delivered_total", hook),
                    "session.created, the finals, the translations and session.closed");
            assertEquals(0, after.value("parley_webhook_dead_letters", hook));

            assertEquals(pcm.length / 32000.0, delta(before, after, "parley_audio_received_seconds_total", LISTEN), 0.001);
            assertEquals(1, delta(before, after, "parley_audio_dropped_frames_total", LISTEN, "reason=\"invalid_audio\""));
            assertEquals(641 / 32000.0, delta(before, after, "parley_audio_dropped_seconds_total", LISTEN,
                    "reason=\"invalid_audio\""), 1e-6);
            assertEquals(0, after.value("parley_audio_dropped_frames_total", LISTEN, "reason=\"overloaded\""));
            assertEquals(1, delta(before, after, "parley_sessions_opened_total", LISTEN));
            assertEquals(0, after.value("parley_sessions_open", LISTEN));
            assertEquals(1, delta(before, after, "parley_tokens_issued_total"));

            assertEquals(finals, delta(before, after, "parley_transcript_finals_total", LISTEN));
            String latency = "parley_transcript_final_latency_seconds";
            assertEquals(finals, delta(before, after, latency + "_count", LISTEN), "every final is timed");
            assertEquals(finals, after.value(latency + "_bucket", LISTEN, "le=\"+Inf\""));
            double mean = after.value(latency + "_sum", LISTEN) / finals;
            // At least the endpoint silence (0.5 s) after the last word, at most that plus a full queue.
            System.out.printf("%d finals, end of speech to final: mean %.3f s%n", finals, mean);
            assertTrue(mean > 0.45 && mean < 21, "mean end of speech to final: " + mean + " s");

            assertEquals(translations, after.value("parley_translation_latency_seconds_count",
                    "engine=\"apertium\"", "outcome=\"ok\""));
            assertTrue(after.value("parley_event_route_events_total", "route=\"archive\"", "outcome=\"delivered\"")
                    >= finals + 2, "the archive route saw session.created, the finals and session.closed");
            assertEquals(0, after.value("parley_event_route_events_total", "outcome=\"dropped\""));
            assertTrue(delta(before, after, "camel_exchanges_total", "routeId=\"listen\"") >= pcm.length / 640,
                    "Camel's route policy counts each frame's exchange");
            assertEquals(0, after.value("parley_recognizer_decoders_in_use"));
            assertEquals(0, after.value("parley_recognizer_lag_seconds"));
            assertEquals(20, after.value("parley_recognizer_lag_limit_seconds"));
            assertEquals(0, after.only("parley_").check().exitCode(), after.only("parley_").check().output());

            Set<String> served = new TreeSet<>();
            for (String line : after.text().split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    served.add(line.split("[{ ]")[0]);
                }
            }
            Set<String> missing = new TreeSet<>(DashboardAndAlertsTest.metricsNamed());
            missing.removeAll(served);
            assertEquals(Set.of(), missing, "metrics the dashboard or the alert rules read but Parley does not serve");

            HttpResponse<String> open = parley.client().send(HttpRequest.newBuilder(parley.http("/observe/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5")
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(open.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
            assertTrue(open.body().endsWith("# EOF\n"), "OpenMetrics when Prometheus asks for it");
        }
    }

    private static double delta(Exposition before, Exposition after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    /** The exposition once the session has left the registry (its last event routed). */
    private static Exposition awaitIdle(ParleyServer parley) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Exposition now = scrape(parley);
        while (now.value("parley_sessions_open", LISTEN) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            now = scrape(parley);
        }
        return now;
    }

    static Exposition scrape(ParleyServer parley) throws Exception {
        HttpResponse<String> response = parley.get("/observe/metrics");
        assertEquals(200, response.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", response.headers().firstValue("Content-Type").orElse(""));
        return new Exposition(response.body());
    }
}
