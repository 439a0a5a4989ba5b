package dev.parley.realtime.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code openai} recognizer against a local server that emits the service's documented events
 * (built with the official SDK's model classes): results and offsets, telephone audio as mu-law, an
 * {@code error} and a {@code failed} transcription, a disconnect mid-stream with audio buffered
 * across it, the buffer's bound, a wrong key and a wrong model.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OpenAiRecognizerTest {

    /** One utterance of the test signal: a square wave of the amplitude (in thousands) for a duration. */
    record Utterance(int thousands, int startMs, int lengthMs) {
        int endMs() {
            return startMs + lengthMs;
        }

        String word() {
            return FakeTranscriptionService.WORDS[thousands];
        }
    }

    /** What the listener heard, in order. */
    record Heard(String kind, int number, String text, long startMs, long endMs) {
    }

    static final class Listener implements RecognitionListener {
        final List<Heard> heard = new CopyOnWriteArrayList<>();
        final List<String> errors = new CopyOnWriteArrayList<>();

        @Override
        public void partial(int utterance, String text) {
            heard.add(new Heard("partial", utterance, text, -1, -1));
        }

        final List<Double> confidences = new CopyOnWriteArrayList<>();

        @Override
        public void complete(int utterance, String text, long startMs, long endMs) {
            heard.add(new Heard("final", utterance, text, startMs, endMs));
        }

        @Override
        public void complete(int utterance, String text, long startMs, long endMs, dev.parley.realtime.Confidence confidence) {
            complete(utterance, text, startMs, endMs);
            confidences.add(confidence == null ? null : confidence.utterance());
        }

        @Override
        public void speechStarted(int utterance, long atMs) {
            heard.add(new Heard("started", utterance, null, atMs, -1));
        }

        @Override
        public void speechStopped(int utterance, long atMs) {
            heard.add(new Heard("stopped", utterance, null, -1, atMs));
        }

        @Override
        public void noResult(int utterance) {
            heard.add(new Heard("none", utterance, null, -1, -1));
        }

        @Override
        public void error(String code, String message) {
            assertEquals("recognizer_failed", code);
            errors.add(message);
        }

        List<Heard> finals() {
            return heard.stream().filter(h -> h.kind().equals("final")).toList();
        }

        List<String> words() {
            return finals().stream().map(Heard::text).toList();
        }
    }

    private FakeTranscriptionService service;
    private OpenAiRecognizer recognizer;

    @BeforeEach
    void startService() throws Exception {
        service = new FakeTranscriptionService();
    }

    @AfterEach
    void stop() throws Exception {
        if (recognizer != null) {
            recognizer.close();
        }
        service.close();
    }

    private OpenAiRecognizer recognizer(Map<String, String> overrides) {
        Map<String, String> props = new HashMap<>();
        props.put(OpenAiRecognizerSettings.BASE_URL, service.baseUrl());
        props.put(OpenAiRecognizerSettings.API_KEY, FakeTranscriptionService.KEY);
        props.put(OpenAiRecognizerSettings.VAD_THRESHOLD, "0.4");
        props.put(OpenAiRecognizerSettings.VAD_SILENCE_MS, "300");
        props.put(OpenAiRecognizerSettings.RECONNECT_INITIAL_MS, "100");
        props.put(OpenAiRecognizerSettings.RECONNECT_MAX_MS, "200");
        props.put(OpenAiRecognizerSettings.FINISH_TIMEOUT_MS, "5000");
        props.putAll(overrides);
        recognizer = new OpenAiRecognizer(OpenAiRecognizerSettings.fromProperties(props::get, env -> null));
        return recognizer;
    }

    /** The signal: each utterance a square wave at 1 kHz of its amplitude, silence between. */
    private static short[] signal(int rate, List<Utterance> utterances, int totalMs) {
        short[] s = new short[totalMs * rate / 1000];
        for (Utterance u : utterances) {
            int from = u.startMs() * rate / 1000;
            int to = u.endMs() * rate / 1000;
            for (int i = from; i < to; i++) {
                s[i] = (short) (((i * 2000 / rate) % 2 == 0 ? 1 : -1) * u.thousands() * 1000);
            }
        }
        return s;
    }

    /** Feeds 20 ms blocks, {@code speed} times faster than real time, then ends the input. */
    private static void feed(RecognitionStream stream, short[] samples, int rate, double speed) throws Exception {
        int block = rate / 50;
        long start = System.nanoTime();
        for (int off = 0; off < samples.length; off += block) {
            int n = Math.min(block, samples.length - off);
            short[] b = new short[n];
            System.arraycopy(samples, off, b, 0, n);
            stream.accept(b, n);
            long due = start + (long) ((off + n) * 1e9 / rate / speed);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        stream.flushAsync().toCompletableFuture().get(15, TimeUnit.SECONDS);
        stream.close();
    }

    private static void assertTimed(List<Utterance> said, List<Heard> finals) {
        assertEquals(said.size(), finals.size(), "finals: " + finals);
        for (int i = 0; i < said.size(); i++) {
            Utterance u = said.get(i);
            Heard f = finals.get(i);
            assertEquals(u.word(), f.text());
            assertTrue(Math.abs(f.startMs() - u.startMs()) <= 30, "start of " + f + " vs " + u);
            assertTrue(Math.abs(f.endMs() - u.endMs()) <= 30, "end of " + f + " vs " + u);
        }
    }

    private static void assertNumberedInOrder(Listener listener) {
        List<Integer> numbers = listener.finals().stream().map(Heard::number).toList();
        for (int i = 1; i < numbers.size(); i++) {
            assertTrue(numbers.get(i) > numbers.get(i - 1), "utterance numbers not increasing: " + numbers);
        }
        // Partials of an utterance come before its final, never after.
        Map<Integer, Boolean> done = new HashMap<>();
        for (Heard h : listener.heard) {
            if (h.kind().equals("partial")) {
                assertFalse(done.getOrDefault(h.number(), false), "partial after final: " + listener.heard);
            } else if (h.kind().equals("final") || h.kind().equals("none")) {
                done.put(h.number(), true);
            }
        }
    }

    @Test
    void transcribesEachUtteranceWithItsOffsetsAndTheSessionFromProperties() throws Exception {
        recognizer(Map.of(OpenAiRecognizerSettings.MODEL, "gpt-4o-mini-transcribe",
                OpenAiRecognizerSettings.PROMPT, "Numbers, spoken slowly."));
        List<Utterance> said = List.of(new Utterance(2, 300, 400), new Utterance(3, 1200, 500), new Utterance(4, 2300, 300));
        Listener listener = new Listener();
        RecognitionStream stream = recognizer.open("en", 24000, listener);
        assertEquals(1, recognizer.inUse());
        feed(stream, signal(24000, said, 3200), 24000, 4);

        assertTimed(said, listener.finals());
        assertEquals(List.of(0, 1, 2), listener.finals().stream().map(Heard::number).toList());
        List<Double> confidences = listener.confidences.stream().map(c -> Math.round(c * 1000) / 1000.0).toList();
        assertEquals(List.of(0.3, 0.4, 0.5), confidences, "each final's confidence from its tokens' log probabilities");
        assertTrue(listener.heard.contains(new Heard("partial", 1, "th", -1, -1)), "partials are the text so far: " + listener.heard);
        assertTrue(listener.heard.stream().anyMatch(h -> h.kind().equals("started") && h.number() == 2 && h.startMs() == 2300),
                listener.heard.toString());
        assertNumberedInOrder(listener);
        assertTrue(listener.errors.isEmpty(), listener.errors.toString());
        assertTrue(service.invalidClientEvents.isEmpty(), service.invalidClientEvents.toString());
        assertEquals(0, recognizer.inUse());

        JsonNode input = service.sessionUpdates.get(0).path("session").path("audio").path("input");
        assertEquals("transcription", service.sessionUpdates.get(0).path("session").path("type").asText());
        assertEquals("[\"item.input_audio_transcription.logprobs\"]", service.sessionUpdates.get(0).path("session").path("include").toString());
        assertEquals("audio/pcm", input.path("format").path("type").asText());
        assertEquals(24000, input.path("format").path("rate").asInt());
        assertEquals("gpt-4o-mini-transcribe", input.path("transcription").path("model").asText());
        assertEquals("en", input.path("transcription").path("language").asText());
        assertEquals("Numbers, spoken slowly.", input.path("transcription").path("prompt").asText());
        assertEquals("server_vad", input.path("turn_detection").path("type").asText());
        assertEquals(0.4, input.path("turn_detection").path("threshold").asDouble());
        assertEquals(300, input.path("turn_detection").path("silence_duration_ms").asInt());
        assertEquals(3200 * 24, service.samplesReceived.get(), "every sample sent once");
    }

    @Test
    void telephoneAudioGoesAsMuLawAtItsOwnRate() throws Exception {
        recognizer(Map.of());
        assertEquals(8000, recognizer.sampleRate(8000));
        assertEquals(24000, recognizer.sampleRate(16000));
        List<Utterance> said = List.of(new Utterance(3, 200, 400), new Utterance(5, 1000, 400));
        Listener listener = new Listener();
        feed(recognizer.open("en", 8000, listener), signal(8000, said, 1800), 8000, 4);

        assertTimed(said, listener.finals());
        assertEquals("audio/pcmu", service.sessionUpdates.get(0).path("session").path("audio").path("input")
                .path("format").path("type").asText());
        assertEquals(1800 * 8, service.samplesReceived.get());
    }

    @Test
    void anErrorAndAFailedTranscriptionBecomeErrorsAndTheStreamGoesOn() throws Exception {
        recognizer(Map.of());
        service.errorAfterItem = 0;
        List<Utterance> said = List.of(new Utterance(2, 200, 300), new Utterance(9, 900, 300), new Utterance(3, 1600, 300));
        Listener listener = new Listener();
        feed(recognizer.open("en", 24000, listener), signal(24000, said, 2300), 24000, 4);

        assertEquals(List.of("two", "three"), listener.words());
        assertEquals(List.of(0, 2), listener.finals().stream().map(Heard::number).toList());
        assertTrue(listener.heard.contains(new Heard("none", 1, null, -1, -1)), "the failed item ends: " + listener.heard);
        assertEquals(2, listener.errors.size(), listener.errors.toString());
        assertTrue(listener.errors.stream().anyMatch(m -> m.contains("fake_hiccup") && m.contains("had a hiccup")),
                listener.errors.toString());
        assertTrue(listener.errors.stream().anyMatch(m -> m.contains("could not transcribe an utterance at 0.90-1.20 s")
                && m.contains("audio_unintelligible")), listener.errors.toString());
    }

    @Test
    void aDisconnectMidStreamReconnectsAndResumesWithNothingLost() throws Exception {
        recognizer(Map.of());
        // The service restarts in the middle of the second utterance and refuses two attempts after.
        service.dropAfterMs = 1300;
        service.refuseAfterDrop = 2;
        List<Utterance> said = List.of(new Utterance(2, 300, 400), new Utterance(3, 1100, 500),
                new Utterance(4, 1900, 300), new Utterance(5, 2500, 300), new Utterance(6, 3100, 400));
        Listener listener = new Listener();
        feed(recognizer.open("en", 24000, listener), signal(24000, said, 3900), 24000, 2);

        assertTimed(said, listener.finals());
        assertNumberedInOrder(listener);
        assertEquals(List.of(0, 1, 2, 3, 4), listener.finals().stream().map(Heard::number).toList(),
                "the interrupted utterance keeps its number: " + listener.heard);
        assertTrue(listener.errors.isEmpty(), "nothing dropped: " + listener.errors);
        assertTrue(service.upgrades.get() >= 4, "reconnected after refusals: " + service.upgrades.get());
        assertEquals(2, service.connections.get());
        assertTrue(service.samplesReceived.get() > 3900 * 24, "the unfinished audio was sent again");
        assertEquals(2, service.sessionUpdates.size(), "the session is set up again on the new connection");
        assertTrue(service.invalidClientEvents.isEmpty(), service.invalidClientEvents.toString());
    }

    @Test
    void audioBeyondTheBufferIsDroppedAndSaidSo() throws Exception {
        recognizer(Map.of(OpenAiRecognizerSettings.MAX_BUFFERED_AUDIO_MS, "200"));
        service.dropAfterMs = 1000; // after the first utterance was transcribed
        service.refuseAfterDrop = 4;
        List<Utterance> said = List.of(new Utterance(2, 200, 300), new Utterance(3, 2600, 300));
        Listener listener = new Listener();
        feed(recognizer.open("en", 24000, listener), signal(24000, said, 3200), 24000, 1);

        assertTrue(listener.errors.stream().anyMatch(m -> m.contains("newer audio is dropped")), listener.errors.toString());
        String report = listener.errors.stream().filter(m -> m.contains("was dropped and is not transcribed"))
                .findFirst().orElseThrow(() -> new AssertionError(listener.errors.toString()));
        assertTrue(report.matches(".*: \\d+ ms of audio \\(\\d+ bytes\\) beyond parley\\.recognizer\\.openai\\.max-buffered-audio-ms.*"),
                report);
        assertEquals(List.of("two", "three"), listener.words(), "speech after the outage is transcribed");
        assertTimed(said, listener.finals());
    }

    @Test
    void aWrongKeyIsOneClearErrorAtTheStart() throws Exception {
        recognizer(Map.of(OpenAiRecognizerSettings.API_KEY, "sk-this-key-is-wrong-000"));
        Listener listener = new Listener();
        RecognitionStream stream = recognizer.open("en", 24000, listener);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (listener.errors.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        feed(stream, signal(24000, List.of(new Utterance(2, 100, 300)), 600), 24000, 10);
        assertEquals(1, listener.errors.size(), listener.errors.toString());
        String error = listener.errors.get(0);
        assertTrue(error.contains("refused the API key (HTTP 401") && error.contains("parley.recognizer.openai.api-key")
                && error.contains("OPENAI_API_KEY"), error);
        assertFalse(error.contains("sk-this-key-is-wrong"), "the key is never shown");
        assertEquals(1, service.upgrades.get(), "a refused key is not retried");
        assertTrue(listener.finals().isEmpty());
    }

    @Test
    void aWrongModelIsOneClearErrorAtTheStart() throws Exception {
        recognizer(Map.of(OpenAiRecognizerSettings.MODEL, "nope"));
        Listener listener = new Listener();
        feed(recognizer.open("en", 24000, listener), signal(24000, List.of(new Utterance(2, 100, 300)), 600), 24000, 4);
        assertEquals(1, listener.errors.size(), listener.errors.toString());
        String error = listener.errors.get(0);
        assertTrue(error.contains("refused the transcription session settings (model 'nope'")
                && error.contains("Supported values are") && error.contains("parley.recognizer.openai.model"), error);
        assertEquals(1, service.connections.get(), "a refused model is not retried");
        assertTrue(listener.finals().isEmpty());
    }

    @Test
    void aStreamKeepsItsConnectionPastTheHandshakeTimeout() throws Exception {
        // Vert.x 4.5 leaves the handshake timer of the first socket (timer id 0) armed unless it is used up.
        recognizer(Map.of(OpenAiRecognizerSettings.CONNECT_TIMEOUT_MS, "200"));
        Listener listener = new Listener();
        List<Utterance> said = List.of(new Utterance(2, 100, 300), new Utterance(3, 800, 300));
        feed(recognizer.open("en", 24000, listener), signal(24000, said, 1400), 24000, 1);
        assertEquals(List.of("two", "three"), listener.words());
        assertEquals(1, service.connections.get(), "one connection for the whole stream");
        assertTrue(listener.errors.isEmpty(), listener.errors.toString());
    }

    @Test
    void settingsAreCheckedAndTheKeyIsNeverShown() {
        Map<String, String> props = new HashMap<>(Map.of(OpenAiRecognizerSettings.API_KEY, "sk-secret-value-123456"));
        OpenAiRecognizerSettings s = OpenAiRecognizerSettings.fromProperties(props::get, env -> null);
        assertEquals("wss://api.openai.com/v1/realtime?intent=transcription", s.realtimeUri().toString());
        assertFalse(s.toString().contains("sk-secret"));
        props.put(OpenAiRecognizerSettings.BASE_URL, "https://example.test:8443/openai/v1/");
        assertEquals("wss://example.test:8443/openai/v1/realtime?intent=transcription",
                OpenAiRecognizerSettings.fromProperties(props::get, env -> null).realtimeUri().toString());
        assertEquals("sk-from-env-000000", OpenAiRecognizerSettings.fromProperties(k -> null,
                env -> env.equals("OPENAI_API_KEY") ? "sk-from-env-000000" : null).apiKey());
        IllegalArgumentException missing = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OpenAiRecognizerSettings.fromProperties(k -> null, env -> null));
        assertTrue(missing.getMessage().contains("OPENAI_API_KEY"), missing.getMessage());
        props.put(OpenAiRecognizerSettings.TURN_DETECTION, "sometimes");
        IllegalArgumentException turn = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OpenAiRecognizerSettings.fromProperties(props::get, env -> null));
        assertTrue(turn.getMessage().contains("server_vad, semantic_vad or none"), turn.getMessage());
    }

    @SuppressWarnings("unused")
    private static String describe(List<Heard> heard) {
        return heard.stream().map(Heard::toString).collect(Collectors.joining("\n"));
    }

    @SuppressWarnings("unused")
    private static List<Integer> numbers(List<Heard> heard) {
        return new ArrayList<>(heard.stream().map(Heard::number).toList());
    }
}
