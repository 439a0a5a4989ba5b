package dev.parley;

import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.audio.G711;
import dev.parley.audio.LevelMonitor;
import dev.parley.audio.Pcm16;
import dev.parley.audio.Resampler;
import dev.parley.realtime.Recognizer;
import dev.parley.translate.Translator;
import dev.parley.tts.EspeakSynthesizer;
import dev.parley.tts.Speech;
import dev.parley.tts.Synthesizer;
import dev.parley.tts.WavInfo;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
 *       that their pipelines have run once.</li>
 * </ul>
 * None of it is a session: nothing reaches events, the archive, webhooks or the recognizer's learnt
 * priors. Cloud engines are not called (no traffic, no cost at start). Runs in the background; {@link
 * #done()} turns true when it has finished or given up, which readiness waits for.
 * {@code parley.recognizer.warmup=false} switches it off (tests that do not need it start faster).
 */
final class Warmup extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    /** About 3 s of speech: enough for the JIT and a decoder's first utterance, little at start-up. */
    static final String TEXT = "Thank you for calling. How can I help you today?";
    private static final long TIMEOUT_MS = 120_000;
    /** Rounds of the audio path per kind of session: about 10 s of audio each, for the JIT's counters. */
    private static final int DSP_ROUNDS = 3;

    private final boolean enabled;
    private final Recognizer recognizer;
    private final Translator translator;
    private final Synthesizer synthesizer;
    private final List<String> targets;
    private volatile boolean done;
    private Thread thread;

    /** @param synthesizer null when speech is off; {@code targets}: the default translation targets */
    Warmup(boolean enabled, Recognizer recognizer, Translator translator, Synthesizer synthesizer, List<String> targets) {
        this.enabled = enabled;
        this.recognizer = recognizer;
        this.translator = translator;
        this.synthesizer = synthesizer;
        this.targets = List.copyOf(targets);
        this.done = !enabled;
    }

    /** True when the warm-up has finished (or is off). */
    boolean done() {
        return done;
    }

    @Override
    protected void doStart() {
        if (!enabled || thread != null) {
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
            LOG.info("Warm-up done in {} ms", (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Warm-up stopped early: {}", e.toString());
        } finally {
            done = true;
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
