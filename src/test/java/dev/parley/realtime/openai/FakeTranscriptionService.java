package dev.parley.realtime.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.core.ObjectMappers;
import com.openai.models.realtime.AudioTranscription;
import com.openai.models.realtime.ConversationItemAdded;
import com.openai.models.realtime.ConversationItemInputAudioTranscriptionCompletedEvent;
import com.openai.models.realtime.ConversationItemInputAudioTranscriptionDeltaEvent;
import com.openai.models.realtime.ConversationItemInputAudioTranscriptionFailedEvent;
import com.openai.models.realtime.InputAudioBufferCommittedEvent;
import com.openai.models.realtime.InputAudioBufferSpeechStartedEvent;
import com.openai.models.realtime.InputAudioBufferSpeechStoppedEvent;
import com.openai.models.realtime.RealtimeAudioFormats;
import com.openai.models.realtime.RealtimeClientEvent;
import com.openai.models.realtime.RealtimeConversationItemUserMessage;
import com.openai.models.realtime.RealtimeError;
import com.openai.models.realtime.RealtimeErrorEvent;
import com.openai.models.realtime.RealtimeServerEvent;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudio;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudioInput;
import com.openai.models.realtime.RealtimeTranscriptionSessionAudioInputTurnDetection;
import com.openai.models.realtime.RealtimeTranscriptionSessionCreateRequest;
import com.openai.models.realtime.SessionCreatedEvent;
import com.openai.models.realtime.SessionUpdatedEvent;
import dev.parley.audio.G711;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for OpenAI's GA Realtime transcription service, speaking its documented events, each
 * built with the official SDK's own model classes and written by the SDK's JSON mapper. Every client
 * event it receives is read back with the SDK's {@link RealtimeClientEvent} and validated.
 *
 * <p>Its "recognizer": a sample louder than 1000 is speech; 300 ms below that ends an utterance, whose
 * transcript is the number word of its peak amplitude in thousands ({@code 3000 -> "three"}),
 * delivered as two deltas and a {@code completed}. An utterance peaking at 9000 gets a
 * {@code failed} transcription instead.
 */
final class FakeTranscriptionService implements AutoCloseable {

    static final String KEY = "sk-test-parley-key-0123456789";
    static final String[] WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};

    private static final JsonMapper SDK_JSON = ObjectMappers.jsonMapper();

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    final AtomicInteger upgrades = new AtomicInteger();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicLong samplesReceived = new AtomicLong();
    final List<String> invalidClientEvents = new CopyOnWriteArrayList<>();
    final List<JsonNode> sessionUpdates = new CopyOnWriteArrayList<>();
    final List<String> clientEventTypes = new CopyOnWriteArrayList<>();

    /** Upgrades to refuse with 503 from now on. */
    volatile int refuseNext;
    /** The first connection is closed by the server once it has received this much audio; negative for never. */
    volatile long dropAfterMs = -1;
    /** Upgrades refused right after that drop. */
    volatile int refuseAfterDrop;
    /** An {@code error} event is sent after the utterance of this number (over the whole service) is transcribed. */
    volatile int errorAfterItem = -1;
    private final AtomicInteger itemCounter = new AtomicInteger();

    FakeTranscriptionService() throws Exception {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false)
                .setMaxWebSocketFrameSize(1 << 20).setMaxWebSocketMessageSize(1 << 22));
        server.requestHandler(request -> {
            upgrades.incrementAndGet();
            if (!"/v1/realtime".equals(request.path()) || !"transcription".equals(request.getParam("intent"))) {
                request.response().setStatusCode(404).end();
                return;
            }
            if (!("Bearer " + KEY).equals(request.getHeader("Authorization"))) {
                request.response().setStatusCode(401).putHeader("Content-Type", "application/json")
                        .end("{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\","
                                + "\"code\":\"invalid_api_key\",\"param\":null}}");
                return;
            }
            if (refuseNext > 0) {
                refuseNext--;
                request.response().setStatusCode(503).end();
                return;
            }
            request.toWebSocket().onSuccess(ws -> new Connection(ws, connections.incrementAndGet()));
        });
        server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String baseUrl() {
        return "ws://127.0.0.1:" + server.actualPort() + "/v1";
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static String write(RealtimeServerEvent event) {
        try {
            return SDK_JSON.writeValueAsString(event);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One client socket and its buffer. */
    private final class Connection {
        private final ServerWebSocket ws;
        private final int number;
        private boolean mulaw;
        private long samples;
        private long bufferStart;
        private boolean speaking;
        private long lastLoud;
        private int peak;
        private String itemId;
        private String previousItemId;
        private boolean gone;
        private int events;

        Connection(ServerWebSocket ws, int number) {
            this.ws = ws;
            this.number = number;
            ws.textMessageHandler(this::onMessage);
            ws.closeHandler(v -> gone = true);
            send(RealtimeServerEvent.ofSessionCreated(SessionCreatedEvent.builder()
                    .eventId(eventId())
                    .session(session(RealtimeAudioFormats.ofAudioPcm(RealtimeAudioFormats.AudioPcm.builder()
                            .rate(RealtimeAudioFormats.AudioPcm.Rate._24000)
                            .type(RealtimeAudioFormats.AudioPcm.Type.AUDIO_PCM).build()), "gpt-4o-transcribe"))
                    .build()));
        }

        private String eventId() {
            return "event_fake_" + number + "_" + (++events);
        }

        private RealtimeTranscriptionSessionCreateRequest session(RealtimeAudioFormats format, String model) {
            return RealtimeTranscriptionSessionCreateRequest.builder()
                    .audio(RealtimeTranscriptionSessionAudio.builder()
                            .input(RealtimeTranscriptionSessionAudioInput.builder()
                                    .format(format)
                                    .transcription(AudioTranscription.builder().model(model).build())
                                    .turnDetection(RealtimeTranscriptionSessionAudioInputTurnDetection.ServerVad.builder()
                                            .threshold(0.5).prefixPaddingMs(300).silenceDurationMs(300).build())
                                    .build())
                            .build())
                    .build();
        }

        private void send(RealtimeServerEvent event) {
            if (!gone) {
                ws.writeTextMessage(write(event));
            }
        }

        private void onMessage(String text) {
            if (gone) {
                return;
            }
            JsonNode raw;
            try {
                RealtimeClientEvent event = SDK_JSON.readValue(text, RealtimeClientEvent.class);
                event.validate();
                raw = SDK_JSON.readTree(text);
            } catch (Exception e) {
                invalidClientEvents.add(e + " in " + (text.length() > 300 ? text.substring(0, 300) : text));
                return;
            }
            String type = raw.path("type").asText();
            clientEventTypes.add(type);
            switch (type) {
                case "session.update" -> sessionUpdate(raw);
                case "input_audio_buffer.append" -> append(Base64.getDecoder().decode(raw.path("audio").asText()));
                case "input_audio_buffer.commit" -> commit(raw.path("event_id").asText(null));
                case "input_audio_buffer.clear" -> {
                    speaking = false;
                    bufferStart = samples;
                }
                default -> { }
            }
        }

        private void sessionUpdate(JsonNode event) {
            sessionUpdates.add(event);
            JsonNode input = event.path("session").path("audio").path("input");
            String model = input.path("transcription").path("model").asText("gpt-4o-transcribe");
            if (model.equals("nope")) {
                send(RealtimeServerEvent.ofError(RealtimeErrorEvent.builder().eventId(eventId())
                        .error(RealtimeError.builder().type("invalid_request_error").code("invalid_value")
                                .message("Invalid value: 'nope'. Supported values are: 'whisper-1', 'gpt-4o-transcribe'.")
                                .param("session.audio.input.transcription.model")
                                .eventId(event.path("event_id").asText()).build())
                        .build()));
                return;
            }
            mulaw = "audio/pcmu".equals(input.path("format").path("type").asText());
            RealtimeAudioFormats format = mulaw
                    ? RealtimeAudioFormats.ofAudioPcmu(RealtimeAudioFormats.AudioPcmu.builder()
                            .type(RealtimeAudioFormats.AudioPcmu.Type.AUDIO_PCMU).build())
                    : RealtimeAudioFormats.ofAudioPcm(RealtimeAudioFormats.AudioPcm.builder()
                            .rate(RealtimeAudioFormats.AudioPcm.Rate._24000)
                            .type(RealtimeAudioFormats.AudioPcm.Type.AUDIO_PCM).build());
            send(RealtimeServerEvent.ofSessionUpdated(SessionUpdatedEvent.builder().eventId(eventId())
                    .session(session(format, model)).build()));
        }

        private int rate() {
            return mulaw ? 8000 : 24000;
        }

        private long ms(long sample) {
            return sample * 1000 / rate();
        }

        private void append(byte[] audio) {
            int n = mulaw ? audio.length : audio.length / 2;
            samplesReceived.addAndGet(n);
            for (int i = 0; i < n && !gone; i++) {
                int s = mulaw ? G711.decode(audio[i]) : (short) ((audio[2 * i] & 0xFF) | (audio[2 * i + 1] << 8));
                if (Math.abs(s) > 1000) {
                    if (!speaking) {
                        speaking = true;
                        peak = 0;
                        itemId = "item_fake_" + number + "_" + samples;
                        send(RealtimeServerEvent.ofInputAudioBufferSpeechStarted(InputAudioBufferSpeechStartedEvent.builder()
                                .eventId(eventId()).itemId(itemId).audioStartMs(ms(samples)).build()));
                    }
                    lastLoud = samples;
                    peak = Math.max(peak, Math.abs(s));
                } else if (speaking && samples - lastLoud >= rate() * 3L / 10) {
                    speechStopped(lastLoud + 1);
                }
                samples++;
                if (number == 1 && dropAfterMs >= 0 && ms(samples) >= dropAfterMs) {
                    gone = true;
                    refuseNext = refuseAfterDrop;
                    ws.close((short) 1011, "fake service restart");
                }
            }
        }

        private void speechStopped(long end) {
            send(RealtimeServerEvent.ofInputAudioBufferSpeechStopped(InputAudioBufferSpeechStoppedEvent.builder()
                    .eventId(eventId()).itemId(itemId).audioEndMs(ms(end)).build()));
            commitItem(itemId);
            transcribe(itemId, WORDS[Math.min(9, Math.round(peak / 1000f))]);
            speaking = false;
        }

        private void commit(String clientEventId) {
            if (speaking) {
                commitItem(itemId);
                transcribe(itemId, WORDS[Math.min(9, Math.round(peak / 1000f))]);
                speaking = false;
            } else if (ms(samples - bufferStart) >= 100) {
                String id = "item_fake_" + number + "_commit_" + samples;
                commitItem(id);
                transcribe(id, "");
            } else {
                send(RealtimeServerEvent.ofError(RealtimeErrorEvent.builder().eventId(eventId())
                        .error(RealtimeError.builder().type("invalid_request_error").code("input_audio_buffer_commit_empty")
                                .message("Error committing input audio buffer: buffer too small.")
                                .eventId(clientEventId).build())
                        .build()));
            }
            bufferStart = samples;
        }

        private void commitItem(String id) {
            InputAudioBufferCommittedEvent.Builder committed = InputAudioBufferCommittedEvent.builder()
                    .eventId(eventId()).itemId(id);
            if (previousItemId != null) {
                committed.previousItemId(previousItemId);
            }
            send(RealtimeServerEvent.ofInputAudioBufferCommitted(committed.build()));
            ConversationItemAdded.Builder added = ConversationItemAdded.builder().eventId(eventId())
                    .item(RealtimeConversationItemUserMessage.builder().id(id)
                            .addContent(RealtimeConversationItemUserMessage.Content.builder()
                                    .type(RealtimeConversationItemUserMessage.Content.Type.INPUT_AUDIO).build())
                            .build());
            if (previousItemId != null) {
                added.previousItemId(previousItemId);
            }
            send(RealtimeServerEvent.ofConversationItemAdded(added.build()));
            previousItemId = id;
            bufferStart = samples;
        }

        /**
         * Asked for ({@code include}), the token's log probability: the fake is surer of larger numbers,
         * (n + 1) / 10 for the word of n; else none, as OpenAI leaves them out.
         */
        private List<com.openai.models.realtime.LogProbProperties> logprobs(String word) {
            boolean asked = !sessionUpdates.isEmpty() && sessionUpdates.get(sessionUpdates.size() - 1).path("session")
                    .path("include").toString().contains("item.input_audio_transcription.logprobs");
            int n = List.of(WORDS).indexOf(word);
            if (!asked || n < 0) {
                return List.of();
            }
            return List.of(com.openai.models.realtime.LogProbProperties.builder().token(word)
                    .bytes(word.chars().mapToObj(c -> (long) c).toList()).logprob(Math.log((n + 1) / 10.0)).build());
        }

        private void transcribe(String id, String word) {
            int item = itemCounter.getAndIncrement();
            if (word.equals("nine")) {
                send(RealtimeServerEvent.ofConversationItemInputAudioTranscriptionFailed(
                        ConversationItemInputAudioTranscriptionFailedEvent.builder().eventId(eventId()).itemId(id)
                                .contentIndex(0)
                                .error(ConversationItemInputAudioTranscriptionFailedEvent.Error.builder()
                                        .type("transcription_error").code("audio_unintelligible")
                                        .message("The audio could not be transcribed.").build())
                                .build()));
            } else {
                if (!word.isEmpty()) {
                    int half = word.length() / 2;
                    for (String delta : new String[] {word.substring(0, half), word.substring(half)}) {
                        send(RealtimeServerEvent.ofConversationItemInputAudioTranscriptionDelta(
                                ConversationItemInputAudioTranscriptionDeltaEvent.builder().eventId(eventId())
                                        .itemId(id).contentIndex(0).delta(delta).build()));
                    }
                }
                send(RealtimeServerEvent.ofConversationItemInputAudioTranscriptionCompleted(
                        ConversationItemInputAudioTranscriptionCompletedEvent.builder().eventId(eventId()).itemId(id)
                                .contentIndex(0).transcript(word)
                                .logprobs(logprobs(word))
                                .usage(ConversationItemInputAudioTranscriptionCompletedEvent.Usage.TranscriptTextUsageDuration
                                        .builder().seconds(1.0).build())
                                .build()));
            }
            if (item == errorAfterItem) {
                send(RealtimeServerEvent.ofError(RealtimeErrorEvent.builder().eventId(eventId())
                        .error(RealtimeError.builder().type("server_error").code("fake_hiccup")
                                .message("The fake service had a hiccup.").build())
                        .build()));
            }
        }
    }
}
