package dev.parley.realtime;

import java.util.List;
import java.util.Set;

/**
 * A speech recognition engine. One instance serves every session; each call channel opens its
 * own {@link RecognitionStream}. Engines are chosen by the property {@code parley.recognizer}.
 */
public interface Recognizer extends AutoCloseable {

    /** The engine's name as used in configuration, e.g. {@code pocketsphinx}. */
    String name();

    /** ISO 639-1 codes of the languages this engine can recognise. */
    Set<String> languages();

    /**
     * The languages this engine transcribes as BCP 47 tags with a region ({@code en-US}), as telephony
     * platforms name them: by default every region Java knows for each of {@link #languages()}; an
     * engine whose model is of one region says so.
     */
    default Set<String> languageTags() {
        Set<String> tags = new java.util.TreeSet<>();
        for (java.util.Locale l : java.util.Locale.getAvailableLocales()) {
            if (languages().contains(l.getLanguage()) && l.getCountry().matches("[A-Z]{2}") && l.getScript().isEmpty()
                    && l.getVariant().isEmpty()) {
                tags.add(l.getLanguage() + "-" + l.getCountry());
            }
        }
        return tags;
    }

    /** Sample rate of the mono PCM16 audio that {@link RecognitionStream#accept} expects. */
    int sampleRate();

    /**
     * Sample rate that {@link RecognitionStream#accept} expects for a channel whose audio arrives at
     * {@code sourceRate}: an engine may take telephone audio at its own rate rather than resampled.
     */
    default int sampleRate(int sourceRate) {
        return sampleRate();
    }

    /**
     * Opens a stream for one channel. Never blocks waiting for a free decoder.
     *
     * @param sourceRate the sample rate the channel's audio had before it was resampled to
     *     {@link #sampleRate(int)}: it tells the engine what kind of audio to expect (8000 is
     *     telephone band)
     * @throws CapacityException when every decoder is in use
     */
    RecognitionStream open(String language, int sourceRate, RecognitionListener listener) throws CapacityException;

    /**
     * Opens a stream for one channel of a session, which may hold the engine's resources (a decoder)
     * only while it has speech to recognise: taken when audio that may be speech arrives, given back
     * after a short silence. When it needs them and none is free it reports an error {@code capacity}
     * to its listener and recognises nothing more. A {@code trusted} stream (a session with an API
     * key, or from a telephony platform) may use capacity reserved for such streams. By default,
     * {@link #open}: the stream holds its resources from now until it is closed.
     *
     * @throws CapacityException when the engine takes its resources now and none is free
     */
    default RecognitionStream openOnDemand(String language, int sourceRate, boolean trusted, RecognitionListener listener)
            throws CapacityException {
        return open(language, sourceRate, listener);
    }

    /** How many streams can be open at once. */
    int capacity();

    /** How many streams are open now. */
    int inUse();

    /** True once the engine can open a stream without first building a decoder. */
    boolean ready();

    /**
     * Runs {@code speech} (clips of {@link #sampleRate()} PCM) through the engine before the first
     * session, so that sessions do not pay what a first use costs (an embedded engine's decoders); at
     * most {@code timeoutMs}. Warm-up audio is no session's: it is neither reported nor learnt from.
     */
    default void warmUp(List<short[]> speech, long timeoutMs) throws InterruptedException {
    }

    /**
     * Whether sessions teach the engine what it carries from one session to the next (an embedded
     * engine's cepstral-mean priors): off while the warm-up rehearses sessions, which are no caller's.
     */
    default void learnFromSessions(boolean on) {
    }

    /**
     * False for an engine that ignores audio (archive-only mode, {@code none}): channels then skip
     * resampling and feeding it, and keep only the byte accounting and level checks.
     */
    default boolean wantsAudio() {
        return true;
    }

    @Override
    void close();
}
