package dev.parley.realtime;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code parley.recognizer=none}: archive-only mode (call recording). Sessions are opened, their
 * audio is archived and accounted for ({@code session.closed}'s bytes and SHA-256), level warnings
 * and session events are sent, but nothing is recognised: there are no transcripts, so no
 * translations and no speech. It accepts any ISO 639-1 language, never runs out of streams, and
 * is ready at once. {@link #wantsAudio()} is false, so channels neither resample nor feed it.
 */
public final class NoRecognizer implements Recognizer {

    /** Every two-letter ISO 639 code Java knows. */
    private static final Set<String> LANGUAGES = Set.of(Locale.getISOLanguages());

    private final AtomicInteger open = new AtomicInteger();

    @Override
    public String name() { return "none"; }

    @Override
    public Set<String> languages() { return LANGUAGES; }

    /** It transcribes nothing. */
    @Override
    public Set<String> languageTags() { return Set.of(); }

    /** Nominal: no audio is ever passed on. */
    @Override
    public int sampleRate() { return 16000; }

    @Override
    public boolean wantsAudio() { return false; }

    @Override
    public RecognitionStream open(String language, int sourceRate, RecognitionListener listener) {
        open.incrementAndGet();
        return new RecognitionStream() {
            private boolean closed;

            @Override
            public void accept(short[] samples, int length) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    open.decrementAndGet();
                }
            }
        };
    }

    @Override
    public int capacity() { return Integer.MAX_VALUE; }

    @Override
    public int inUse() { return open.get(); }

    @Override
    public boolean ready() { return true; }

    @Override
    public void close() {
    }
}
