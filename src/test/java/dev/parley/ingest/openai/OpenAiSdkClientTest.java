package dev.parley.ingest.openai;

import com.openai.client.okhttp.OkHttpClient;
import com.openai.core.ClientOptions;
import com.openai.core.http.WebSocketWriteNotAttempted;
import com.openai.helpers.RealtimeConnection;
import com.openai.helpers.RealtimeWebSocketOptions;
import com.openai.models.realtime.AudioTranscription;
import com.openai.models.realtime.InputAudioBufferAppendEvent;
import com.openai.models.realtime.InputAudioBufferCommitEvent;
import com.openai.models.realtime.RealtimeAudioFormats;
import com.openai.models.realtime.RealtimeClientEvent;
import com.openai.models.realtime.RealtimeServerEvent;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudio;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudioInput;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudioInputTurnDetection;
import com.openai.models.realtime.RealtimeTranscriptionSessionCreateRequest;
import com.openai.models.realtime.SessionUpdateEvent;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WordErrorRate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK ({@code com.openai.helpers.RealtimeConnection}, 4.70.0) as a client of
 * Parley's {@code /v1/realtime?intent=transcription}: five LibriVox speakers at once connect with an
 * API key, update their session, append their audio, and every event they get is parsed and
 * validated by the SDK's own models; their completed transcripts are checked for word error rate.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OpenAiSdkClientTest {

    private static final Duration WAIT = Duration.ofSeconds(40);
    private static ParleyServer parley;
    private static ClientOptions options;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.auth.required", "true",
                "parley.auth.api-keys", RealtimeProtocolTest.API_KEY,
                "parley.recognizer.pocketsphinx.warm-decoders", "5",
                "parley.translation.targets", "", "parley.webhooks.enabled", "false"));
        options = ClientOptions.builder()
                .httpClient(OkHttpClient.builder().build())
                .apiKey(RealtimeProtocolTest.API_KEY)
                .baseUrl("http://127.0.0.1:" + parley.port() + "/v1")
                .build();
    }

    @AfterAll
    static void stop() {
        if (options != null) {
            options.close();
        }
        if (parley != null) {
            parley.close();
        }
    }

    /** One SDK connection: a reader thread takes every event the SDK parses, and validates it. */
    static final class SdkSession implements AutoCloseable {
        final RealtimeConnection connection;
        final List<RealtimeServerEvent> events = new CopyOnWriteArrayList<>();
        final List<String> invalid = new CopyOnWriteArrayList<>();
        private final Thread reader;
        private volatile boolean closing;

        SdkSession() {
            connection = RealtimeConnection.connect(options, RealtimeWebSocketOptions.builder().transcription().build());
            reader = new Thread(() -> {
                while (!closing) {
                    try {
                        RealtimeServerEvent event = connection.receive();
                        try {
                            event.validate();
                        } catch (RuntimeException e) {
                            invalid.add(e + ": " + event);
                        }
                        events.add(event);
                    } catch (RuntimeException e) {
                        if (!closing) {
                            invalid.add("receive failed: " + e);
                        }
                        return;
                    }
                }
            }, "sdk-reader");
            reader.setDaemon(true);
            reader.start();
        }

        RealtimeServerEvent await(Predicate<RealtimeServerEvent> match) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (RealtimeServerEvent e : events) {
                    if (match.test(e)) {
                        return e;
                    }
                }
                Thread.sleep(10);
            }
            throw new AssertionError("No matching event; got " + types() + "; invalid: " + invalid);
        }

        List<String> types() {
            return events.stream().map(e -> e._json().map(j -> j.toString()).orElseGet(() -> typeOf(e))).toList();
        }

        @Override
        public void close() throws InterruptedException {
            closing = true;
            connection.close();
            reader.join(5000);
        }
    }

    static String typeOf(RealtimeServerEvent e) {
        if (e.isSessionCreated()) return "session.created";
        if (e.isSessionUpdated()) return "session.updated";
        if (e.isInputAudioBufferSpeechStarted()) return "input_audio_buffer.speech_started";
        if (e.isInputAudioBufferSpeechStopped()) return "input_audio_buffer.speech_stopped";
        if (e.isInputAudioBufferCommitted()) return "input_audio_buffer.committed";
        if (e.isConversationItemAdded()) return "conversation.item.added";
        if (e.isConversationItemDone()) return "conversation.item.done";
        if (e.isConversationItemInputAudioTranscriptionDelta()) return "conversation.item.input_audio_transcription.delta";
        if (e.isConversationItemInputAudioTranscriptionCompleted()) return "conversation.item.input_audio_transcription.completed";
        if (e.isError()) return "error";
        return "other";
    }

    record Result(LibriVox.Recording recording, List<String> transcripts, Set<String> types, List<String> invalid,
                  List<String> errors) {
    }

    private static Result speak(LibriVox.Recording recording) throws Exception {
        byte[] audio = recording.at(24000).pcm();
        try (SdkSession session = new SdkSession()) {
            session.await(RealtimeServerEvent::isSessionCreated);
            session.connection.send(RealtimeClientEvent.ofSessionUpdate(SessionUpdateEvent.builder()
                    .session(RealtimeTranscriptionSessionCreateRequest.builder()
                            .audio(RealtimeTranscriptionSessionAudio.builder()
                                    .input(RealtimeTranscriptionSessionAudioInput.builder()
                                            .format(RealtimeAudioFormats.AudioPcm.builder()
                                                    .type(RealtimeAudioFormats.AudioPcm.Type.AUDIO_PCM)
                                                    .rate(RealtimeAudioFormats.AudioPcm.Rate._24000).build())
                                            .transcription(AudioTranscription.builder()
                                                    .model(AudioTranscription.Model.GPT_4O_TRANSCRIBE).language("en").build())
                                            .turnDetection(RealtimeTranscriptionSessionAudioInputTurnDetection.ServerVad.builder()
                                                    .threshold(0.5).prefixPaddingMs(300).silenceDurationMs(500).build())
                                            .build())
                                    .build())
                            .build())
                    .build()));
            RealtimeServerEvent updated = session.await(RealtimeServerEvent::isSessionUpdated);
            assertTrue(updated.asSessionUpdated().session().isRealtimeTranscriptionSessionCreateRequest(), updated.toString());

            byte[] withSilence = java.util.Arrays.copyOf(audio, audio.length + 48000);
            for (int off = 0; off < withSilence.length; off += 4800) {
                byte[] chunk = java.util.Arrays.copyOfRange(withSilence, off, Math.min(withSilence.length, off + 4800));
                sendWhenReady(session.connection, RealtimeClientEvent.ofInputAudioBufferAppend(
                        InputAudioBufferAppendEvent.builder().audio(Base64.getEncoder().encodeToString(chunk)).build()));
            }
            // Parley reads the audio at once and the recognizer hears it at the pace of speech; a commit makes
            // one item of what it has not reached yet (docs/openai-realtime.md): commit once the speech is heard.
            long audioMs = audio.length / 48;
            session.await(e -> e.isInputAudioBufferSpeechStopped() && e.asInputAudioBufferSpeechStopped().audioEndMs() > audioMs - 1500);
            int before = session.events.size();
            sendWhenReady(session.connection, RealtimeClientEvent.ofInputAudioBufferCommit(InputAudioBufferCommitEvent.builder()
                    .eventId("sdk_final_commit").build()));
            // Answered at once, as the service does: an error (too little audio since the last item) or the committed item.
            session.await(e -> session.events.indexOf(e) >= before && (e.isInputAudioBufferCommitted()
                    || e.isError() && e.asError().error().eventId().orElse("").equals("sdk_final_commit")));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (pending(session) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, pending(session), "every item announced gets its transcript");
            List<String> transcripts = session.events.stream()
                    .filter(RealtimeServerEvent::isConversationItemInputAudioTranscriptionCompleted)
                    .map(e -> e.asConversationItemInputAudioTranscriptionCompleted().transcript())
                    .filter(t -> !t.isEmpty()).toList();
            Set<String> types = new LinkedHashSet<>();
            session.events.forEach(e -> types.add(typeOf(e)));
            List<String> errors = session.events.stream().filter(RealtimeServerEvent::isError)
                    .map(e -> e.asError().error().message()).toList();
            for (RealtimeServerEvent completed : session.events) {
                if (completed.isConversationItemInputAudioTranscriptionCompleted()) {
                    String item = completed.asConversationItemInputAudioTranscriptionCompleted().itemId();
                    String deltas = session.events.stream().filter(RealtimeServerEvent::isConversationItemInputAudioTranscriptionDelta)
                            .map(RealtimeServerEvent::asConversationItemInputAudioTranscriptionDelta)
                            .filter(d -> d.itemId().equals(item)).map(d -> d.delta().orElse("")).collect(Collectors.joining());
                    assertEquals(completed.asConversationItemInputAudioTranscriptionCompleted().transcript(), deltas,
                            "the deltas of " + item + " are increments of its transcript");
                }
            }
            return new Result(recording, transcripts, types, new ArrayList<>(session.invalid), errors);
        }
    }

    /** The SDK refuses a command while its send buffer is full (Parley is pushing back): wait and retry. */
    private static void sendWhenReady(RealtimeConnection connection, RealtimeClientEvent event) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                connection.send(event);
                return;
            } catch (WebSocketWriteNotAttempted.Busy busy) {
                if (System.nanoTime() > deadline) {
                    throw busy;
                }
                Thread.sleep(10);
            }
        }
    }

    private static long pending(SdkSession session) {
        Set<String> committed = session.events.stream().filter(RealtimeServerEvent::isInputAudioBufferCommitted)
                .map(e -> e.asInputAudioBufferCommitted().itemId()).collect(Collectors.toSet());
        session.events.stream().filter(RealtimeServerEvent::isInputAudioBufferSpeechStarted)
                .forEach(e -> committed.add(e.asInputAudioBufferSpeechStarted().itemId()));
        Set<String> done = session.events.stream()
                .filter(RealtimeServerEvent::isConversationItemInputAudioTranscriptionCompleted)
                .map(e -> e.asConversationItemInputAudioTranscriptionCompleted().itemId()).collect(Collectors.toSet());
        committed.removeAll(done);
        return committed.size();
    }

    @Test
    void theOfficialSdkTranscribesLibriVoxThroughParley() throws Exception {
        List<LibriVox.Recording> recordings = LibriVox.recordings();
        ExecutorService speakers = Executors.newFixedThreadPool(recordings.size());
        List<Future<Result>> running = new ArrayList<>();
        for (LibriVox.Recording r : recordings) {
            running.add(speakers.submit(() -> speak(r)));
        }
        List<String> said = new ArrayList<>();
        List<String> heard = new ArrayList<>();
        for (Future<Result> f : running) {
            Result result = f.get(80, TimeUnit.SECONDS);
            said.add(result.recording().transcript());
            heard.add(String.join(" ", result.transcripts()));
            System.out.printf("%s%n  said:  %s%n  heard: %s%n  events: %s%n", result.recording().id(),
                    result.recording().transcript(), heard.get(heard.size() - 1), result.types());
            assertTrue(result.invalid().isEmpty(), "the SDK rejected events: " + result.invalid());
            assertTrue(result.errors().isEmpty(), "errors: " + result.errors());
            assertTrue(result.types().containsAll(List.of("session.created", "session.updated",
                    "input_audio_buffer.speech_started", "input_audio_buffer.committed",
                    "conversation.item.added", "conversation.item.done", "conversation.item.input_audio_transcription.delta",
                    "conversation.item.input_audio_transcription.completed")), result.types().toString());
            assertTrue(!result.types().contains("other"), result.types().toString());
        }
        speakers.shutdown();
        double wer = WordErrorRate.corpus(said, heard);
        System.out.printf("Corpus WER of the SDK's completed transcripts (5 concurrent sessions, 24 kHz): %.3f%n", wer);
        assertTrue(wer <= 0.40, "corpus WER " + wer + " above 0.40");
    }
}
