package dev.parley.realtime.openai;

import dev.parley.realtime.CapacityException;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import dev.parley.realtime.Recognizer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.impl.VertxInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code openai} engine: each channel streams to OpenAI's GA Realtime transcription service (or
 * any server speaking it) over its own WebSocket, {@code <base-url>/realtime?intent=transcription}.
 *
 * <p>Built on Vert.x's WebSocket client, which Parley already runs on, rather than on the official
 * Java SDK: the SDK's {@code RealtimeConnection} neither replays input nor restores the session after
 * a reconnect ("callers decide which session state to restore"), so resuming a call would be Parley's
 * code either way, and the SDK would add Kotlin, OkHttp and a second JSON stack to every install. The
 * SDK is used in the tests instead, as an independent client and for its model classes.
 *
 * <p>One Vert.x instance serves every stream; each stream keeps its state on its own event-loop
 * context. Audio goes as 24 kHz PCM16 ({@code audio/pcm}), or for 8 kHz channels as G.711 mu-law
 * ({@code audio/pcmu}) at their own rate, without resampling.
 */
public final class OpenAiRecognizer implements Recognizer {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiRecognizer.class);
    static final int PCM_RATE = 24000;
    static final int TELEPHONY_RATE = 8000;

    private final OpenAiRecognizerSettings settings;
    private final AtomicInteger inUse = new AtomicInteger();
    private Vertx vertx;
    private WebSocketClient client;
    private boolean closed;

    public OpenAiRecognizer(OpenAiRecognizerSettings settings) {
        this.settings = settings;
        LOG.info("Recognizer openai: {}", settings);
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public Set<String> languages() {
        return settings.languages();
    }

    @Override
    public int sampleRate() {
        return PCM_RATE;
    }

    @Override
    public int sampleRate(int sourceRate) {
        return sourceRate == TELEPHONY_RATE && settings.pcmuFor8k() ? TELEPHONY_RATE : PCM_RATE;
    }

    @Override
    public RecognitionStream open(String language, int sourceRate, RecognitionListener listener) throws CapacityException {
        int now = inUse.incrementAndGet();
        if (now > settings.maxStreams()) {
            inUse.decrementAndGet();
            throw new CapacityException("All " + settings.maxStreams() + " OpenAI recognition streams are in use ("
                    + OpenAiRecognizerSettings.MAX_STREAMS + "). Try again later.");
        }
        try {
            boolean mulaw = sampleRate(sourceRate) == TELEPHONY_RATE;
            String lang = settings.language() == null ? language : settings.language();
            WebSocketClient sockets = webSocketClient();
            // A context of its own per stream: its state is touched on that event loop only.
            Context context = ((VertxInternal) vertx).createEventLoopContext();
            OpenAiStream stream = new OpenAiStream(this, settings, sockets, context, lang, mulaw, listener);
            stream.start();
            return stream;
        } catch (RuntimeException e) {
            inUse.decrementAndGet();
            throw e;
        }
    }

    void release() {
        inUse.decrementAndGet();
    }

    @Override
    public int capacity() {
        return settings.maxStreams();
    }

    @Override
    public int inUse() {
        return inUse.get();
    }

    /** Always: a stream needs no decoder, only a socket opened with it. */
    @Override
    public boolean ready() {
        return true;
    }

    /** The event loops and the client, made with the first stream (so a Parley that fails to start leaks none). */
    private synchronized WebSocketClient webSocketClient() {
        if (closed) {
            throw new IllegalStateException("The openai recognizer is closed");
        }
        if (client == null) {
            // Made on a plain thread: the first stream opens on another Vert.x instance's worker.
            Vertx[] made = new Vertx[1];
            Thread maker = new Thread(() -> made[0] = Vertx.vertx(new VertxOptions()
                    .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
                    .setWorkerPoolSize(1)), "openai-recognizer-start");
            maker.start();
            try {
                maker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while starting the openai recognizer", e);
            }
            vertx = made[0];
            // Vert.x 4.5 numbers timers from 0 but cancels a WebSocket's handshake timeout only when
            // its id is above 0: the first socket's timer would fire later and close it. Use up id 0.
            vertx.cancelTimer(vertx.setTimer(60_000, id -> { }));
            client = vertx.createWebSocketClient(new WebSocketClientOptions()
                    // one socket per stream, all to one host: Vert.x would otherwise queue beyond 50
                    .setMaxConnections(settings.maxStreams() + 16)
                    .setConnectTimeout((int) settings.connectTimeout().toMillis())
                    .setMaxFrameSize(1 << 20)
                    .setMaxMessageSize(8 << 20)
                    .setTryUsePerMessageCompression(false)
                    .setTryUsePerFrameCompression(false));
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (vertx != null) {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("The openai recognizer's event loops did not stop cleanly: {}", e.toString());
            }
        }
    }
}
