package dev.parley;

import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.audio.G711;
import dev.parley.audio.LevelMonitor;
import dev.parley.audio.Pcm16;
import dev.parley.audio.Resampler;
import dev.parley.http.HttpServer;
import dev.parley.realtime.Recognizer;
import dev.parley.translate.Translator;
import dev.parley.tts.EspeakSynthesizer;
import dev.parley.tts.Speech;
import dev.parley.tts.Synthesizer;
import dev.parley.tts.WavInfo;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Pays before Parley says it is ready what its first sessions would otherwise pay, so that calls
 * arriving the moment a restarted node is ready are served as well as later ones:
 * <ul>
 *   <li>speech, rendered at start by eSpeak NG, through the audio path of each kind of session
 *       (24 and 16 kHz PCM16, 8 kHz mu-law: decoding, level checks, resampling), often enough for
 *       the JIT to compile it;</li>
 *   <li>a clip of it decoded once on every warm recognizer decoder ({@link Recognizer#warmUp});</li>
 *   <li>with the embedded engines, a sentence translated into each default target and spoken, so
 *       that their pipelines have run once;</li>
 *   <li>once the routes run, a rehearsal: as many sessions as the recognizer has decoders (at most
 *       {@value #MAX_REHEARSALS}) say the speech at real time over loopback WebSockets to {@code
 *       /v1/listen}, as the first callers will, so that the whole path a call takes (HTTP and
 *       WebSocket, the ingest route, recognition, events, translation, speech, the client's events)
 *       has run and been compiled before the first call. Measured: without it, eight sessions right
 *       after readiness met some 2,000 first compilations and lost audio (docs/benchmarks.md).</li>
 * </ul>
 * No caller sees any of it. The rehearsal's sessions are opened with a credential only this process
 * knows, do not record, teach the recognizer's priors nothing, and their events reach only the routes
 * that take them ({@code parley:events?warmup=true}: the client, translation and speech), never the
 * archive, webhooks, Kafka or a user's route; metrics count from the end of the warm-up on. Cloud
 * engines are not called (no traffic, no cost at start): the rehearsal runs only with the embedded
 * recognizer. Runs in the background; {@link #done()} turns true when it has finished or given up,
 * which readiness waits for.
 * {@code parley.recognizer.warmup=false} switches it off (tests that do not need it start faster).
 */
final class Warmup extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    /** About 3 s of speech: enough for the JIT and a decoder's first utterance, little at start-up. */
    static final String TEXT = "Thank you for calling. How can I help you today?";
    private static final long TIMEOUT_MS = 120_000;
    /** Rounds of the audio path per kind of session: about 10 s of audio each, for the JIT's counters. */
    private static final int DSP_ROUNDS = 3;
    /** Rehearsal sessions at once: enough for every decoder of a small node to have run a session. */
    static final int MAX_REHEARSALS = 8;
    /** Times each rehearsal session says {@link #TEXT}: about 14 s of audio. */
    private static final int REHEARSAL_REPEATS = 4;
    private static final int REHEARSAL_RATE = 24000;
    private static final int REHEARSAL_MAX_MESSAGE = 64 << 20;
    /** 40 ms frames, as the browser page sends. */
    private static final int REHEARSAL_FRAME = REHEARSAL_RATE * 2 / 25;

    private final boolean enabled;
    private final Recognizer recognizer;
    private final Translator translator;
    private final Synthesizer synthesizer;
    private final List<String> targets;
    private final HttpServer http;
    private final String credential;
    private final Runnable whenDone;
    private final CountDownLatch routesStarted = new CountDownLatch(1);
    private volatile boolean done;
    private Thread thread;

    /**
     * @param synthesizer null when speech is off; {@code targets}: the default translation targets
     * @param credential  the bearer credential of the rehearsal's sessions ({@code WebSocketAuth#rehearsalCredential})
     * @param whenDone    runs once the warm-up has finished, given up, or at start when it is off
     */
    Warmup(boolean enabled, Recognizer recognizer, Translator translator, Synthesizer synthesizer, List<String> targets,
           HttpServer http, String credential, Runnable whenDone) {
        this.enabled = enabled;
        this.recognizer = recognizer;
        this.translator = translator;
        this.synthesizer = synthesizer;
        this.targets = List.copyOf(targets);
        this.http = http;
        this.credential = credential;
        this.whenDone = whenDone;
        this.done = !enabled;
    }

    /** The routes run: the rehearsal may begin. */
    void routesStarted() {
        routesStarted.countDown();
    }

    /** True when the warm-up has finished (or is off). */
    boolean done() {
        return done;
    }

    @Override
    protected void doStart() {
        if (!enabled) {
            whenDone.run();
            return;
        }
        if (thread != null) {
            return;
        }
        thread = new Thread(this::run, "parley-warmup");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    protected void doStop() {
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        long t0 = System.nanoTime();
        try {
            short[] speech = speech();
            if (speech != null && recognizer.wantsAudio()) {
                List<short[]> clips = new ArrayList<>();
                for (AudioFormat kind : List.of(new AudioFormat(AudioEncoding.PCM16, 24000),
                        new AudioFormat(AudioEncoding.MULAW, 8000), new AudioFormat(AudioEncoding.PCM16, 16000))) {
                    clips.add(throughAudioPath(speech, kind));
                }
                recognizer.warmUp(clips, TIMEOUT_MS);
            }
            pipelines();
            if (speech != null && recognizer.wantsAudio() && "pocketsphinx".equals(recognizer.name())) {
                rehearse(speech);
            }
            LOG.info("Warm-up done in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Warm-up stopped early: {}", e.toString());
        } finally {
            whenDone.run(); // before readiness: what is counted from then on is served by then
            done = true;
        }
    }

    /**
     * Sessions on Parley's own {@code /v1/listen}, over loopback, each saying the speech {@value
     * #REHEARSAL_REPEATS} times at real time in 24 kHz frames, then ending its input and waiting for
     * its session to close. A rehearsal that cannot connect (no listen route, a host this process
     * cannot reach) is logged and skipped: the first calls then pay what it would have.
     */
    private void rehearse(short[] speech) throws InterruptedException {
        if (!routesStarted.await(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            return;
        }
        long t0 = System.nanoTime();
        short[] once = new Resampler(EspeakSynthesizer.SAMPLE_RATE, REHEARSAL_RATE).process(speech, 0, speech.length);
        byte[] said = Pcm16.shortsToLittleEndian(once, 0, once.length);
        byte[] audio = new byte[(said.length + REHEARSAL_RATE) * REHEARSAL_REPEATS]; // each followed by 500 ms of silence
        for (int i = 0; i < REHEARSAL_REPEATS; i++) {
            System.arraycopy(said, 0, audio, i * (said.length + REHEARSAL_RATE), said.length);
        }
        int count = Math.max(1, Math.min(MAX_REHEARSALS, recognizer.capacity()));
        // tts.audio events carry a whole clip: far larger than a client's default 64 KiB frame.
        WebSocketClient client = http.vertx().createWebSocketClient(new WebSocketClientOptions()
                .setSsl(http.secure()).setTrustAll(true).setVerifyHost(false)
                .setMaxFrameSize(REHEARSAL_MAX_MESSAGE).setMaxMessageSize(REHEARSAL_MAX_MESSAGE));
        recognizer.learnFromSessions(false);
        List<WebSocket> sockets = new ArrayList<>();
        CountDownLatch closed = new CountDownLatch(count);
        try {
            for (int i = 0; i < count; i++) {
                WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(http.ownAddress()).setPort(http.port())
                        .setSsl(http.secure()).setURI("/v1/listen?rate=" + REHEARSAL_RATE + "&record=false")
                        .addHeader("Authorization", "Bearer " + credential);
                WebSocket ws = client.connect(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                ws.textMessageHandler(event -> { });
                ws.closeHandler(v -> closed.countDown());
                sockets.add(ws);
            }
            long start = System.nanoTime();
            for (int off = 0, n = 1; off < audio.length; off += REHEARSAL_FRAME, n++) {
                Buffer frame = Buffer.buffer(Arrays.copyOfRange(audio, off, Math.min(audio.length, off + REHEARSAL_FRAME)));
                sockets.forEach(ws -> ws.writeBinaryMessage(frame));
                long wait = start + n * 40_000_000L - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            sockets.forEach(ws -> ws.writeTextMessage("{\"type\":\"input_audio.end\"}"));
            if (!closed.await(30, TimeUnit.SECONDS)) {
                LOG.warn("Warm-up: {} of {} rehearsal sessions had not closed after 30 s", closed.getCount(), count);
            }
            LOG.info("Warm-up rehearsed {} sessions of {} ms of speech on /v1/listen in {} ms", count,
                    audio.length / 2 * 1000L / REHEARSAL_RATE, (System.nanoTime() - t0) / 1_000_000);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("Warm-up could not rehearse a session on /v1/listen ({}); the first calls compile its path themselves",
                    e.getCause() != null ? e.getCause().getMessage() : e.toString());
        } finally {
            sockets.forEach(ws -> ws.close());
            client.close();
            recognizer.learnFromSessions(true);
        }
    }

    /** {@link #TEXT} spoken by eSpeak NG at its own rate, or null (logged) when it cannot speak here. */
    private short[] speech() throws InterruptedException {
        try (EspeakSynthesizer espeak = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults().withThreads(1, 1))) {
            Speech s = espeak.speak(TEXT, "en").get(30, TimeUnit.SECONDS);
            byte[] pcm = WavInfo.parse(s.wav()).data(s.wav());
            return Pcm16.littleEndianToShorts(pcm, 0, pcm.length);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            LOG.warn("Warm-up without speech (eSpeak NG could not speak: {}); the first sessions compile the audio"
                    + " path and warm the decoders themselves", e.getMessage());
            return null;
        }
    }

    /**
     * What a channel of {@code kind} does with a session's audio, {@value #DSP_ROUNDS} times over: the
     * speech as the client would send it, in 40 ms frames decoded, level-checked and resampled to the
     * recognizer's rate (RecognitionChannel's steps). Returns the last round's result.
     */
    private short[] throughAudioPath(short[] speech, AudioFormat kind) {
        short[] atRate = new Resampler(EspeakSynthesizer.SAMPLE_RATE, kind.sampleRate()).process(speech, 0, speech.length);
        byte[] wire = kind.encoding() == AudioEncoding.MULAW ? G711.encode(atRate, 0, atRate.length)
                : Pcm16.shortsToLittleEndian(atRate, 0, atRate.length);
        int frame = (int) kind.bytesFor(40);
        short[] out = new short[0];
        for (int round = 0; round < DSP_ROUNDS; round++) {
            Resampler resampler = new Resampler(kind.sampleRate(), recognizer.sampleRate(kind.sampleRate()));
            LevelMonitor levels = new LevelMonitor(kind.sampleRate(), 5000);
            List<short[]> parts = new ArrayList<>();
            int total = 0;
            for (int off = 0; off < wire.length; off += frame) {
                byte[] bytes = java.util.Arrays.copyOfRange(wire, off, Math.min(wire.length, off + frame));
                short[] pcm = kind.decode(bytes);
                levels.accept(pcm, pcm.length);
                short[] resampled = resampler.process(pcm, 0, pcm.length);
                parts.add(resampled);
                total += resampled.length;
            }
            out = new short[total];
            int at = 0;
            for (short[] p : parts) {
                System.arraycopy(p, 0, out, at, p.length);
                at += p.length;
            }
        }
        return out;
    }

    /** One translation into each default target and its speech, with the embedded engines only. */
    private void pipelines() throws InterruptedException {
        boolean translate = "apertium".equals(translator.name());
        boolean speak = synthesizer != null && "espeak".equals(synthesizer.name());
        Set<String> reachable = translator.pairs().getOrDefault("en", Set.of());
        for (String target : targets) {
            try {
                String text = TEXT;
                if (translate && reachable.contains(target)) {
                    text = translator.translate(TEXT, "en", target).get(30, TimeUnit.SECONDS);
                }
                if (speak && synthesizer.languages().contains(target)) {
                    synthesizer.speak(text, target).get(30, TimeUnit.SECONDS);
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warn("Warm-up could not translate or speak into '{}': {}", target, e.getMessage());
            }
        }
    }
}
