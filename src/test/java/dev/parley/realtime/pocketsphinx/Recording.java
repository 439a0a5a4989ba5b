package dev.parley.realtime.pocketsphinx;

import dev.parley.realtime.Confidence;
import dev.parley.realtime.RecognitionListener;
import dev.parley.realtime.RecognitionStream;
import dev.parley.realtime.Recognizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A listener that records every result with the audio position (ms fed) at which it arrived. */
final class Recording implements RecognitionListener {

    /** One callback; {@code final} distinguishes complete from partial; atMs = audio fed when called. */
    record Event(boolean isFinal, int utterance, String text, long startMs, long endMs, long atMs) {}

    final List<Event> events = new ArrayList<>();
    long audioMs;
    long positionMs;

    @Override
    public void partial(int utterance, String text) {
        events.add(new Event(false, utterance, text, -1, -1, positionMs));
    }

    /** Each final's confidence as the engine gave it (null for none), in the order of the finals. */
    final List<Confidence> confidences = new ArrayList<>();

    @Override
    public void complete(int utterance, String text, long startMs, long endMs) {
        events.add(new Event(true, utterance, text, startMs, endMs, positionMs));
    }

    @Override
    public void complete(int utterance, String text, long startMs, long endMs, Confidence confidence) {
        complete(utterance, text, startMs, endMs);
        confidences.add(confidence);
    }

    List<Event> finals() {
        return events.stream().filter(Event::isFinal).collect(Collectors.toList());
    }

    List<Event> partials(int utterance) {
        return events.stream().filter(e -> !e.isFinal() && e.utterance() == utterance).collect(Collectors.toList());
    }

    /** The finals joined, in order. */
    String text() {
        return finals().stream().map(Event::text).collect(Collectors.joining(" "));
    }

    /** Streams 16 kHz {@code samples} in chunks of {@code chunkMs}, then flushes and closes the stream. */
    static Recording decode(Recognizer recognizer, short[] samples, int chunkMs) throws Exception {
        return decode(recognizer, samples, 16000, chunkMs);
    }

    /** The same for audio that was at {@code sourceRate} before it was resampled to 16 kHz. */
    static Recording decode(Recognizer recognizer, short[] samples, int sourceRate, int chunkMs) throws Exception {
        Recording rec = new Recording();
        try (RecognitionStream stream = recognizer.open("en", sourceRate, rec)) {
            rec.feed(stream, samples, samples.length, chunkMs);
            stream.flush();
        }
        return rec;
    }

    /** Feeds the first {@code length} samples in chunks, tracking the position. */
    void feed(RecognitionStream stream, short[] samples, int length, int chunkMs) {
        int chunk = 16 * chunkMs;
        short[] buf = new short[chunk];
        for (int off = 0; off < length; off += chunk) {
            int n = Math.min(chunk, length - off);
            System.arraycopy(samples, off, buf, 0, n);
            positionMs = (off + n) * 1000L / 16000;
            stream.accept(buf, n);
        }
        audioMs = length * 1000L / 16000;
        positionMs = audioMs;
    }

    @Override
    public String toString() {
        return events.stream().map(Event::toString).collect(Collectors.joining("\n"));
    }
}
