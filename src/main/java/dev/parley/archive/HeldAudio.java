package dev.parley.archive;

import dev.parley.audio.G711;
import dev.parley.privacy.RedactionSettings;

import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A session's audio on its way to {@code audio.wav} with audio redaction on: each channel's audio is
 * held in memory until the utterances in it are judged (their final is recorded), then the spans of
 * redacted words are replaced by silence or a tone and the audio written. A crash loses what is held,
 * never writes it unjudged. What follows a channel's last final waits for the next final or the end
 * of the session, so a long silence is held in memory (a minute of 16 kHz audio is about 2 MB).
 */
final class HeldAudio {

    /** Amplitude of the tone that may replace redacted words: -20 dBFS. */
    private static final double TONE_AMPLITUDE = 3277;
    private static final double TONE_HZ = 1000;

    private final SessionArchive files;
    private final RedactionSettings.AudioMode mode;
    private final int bytesPerSample;
    private final boolean mulaw;
    private final int sampleRate;
    private final Map<String, Channel> channels = new HashMap<>();

    /** One channel's audio not yet written, and how much was written before it. */
    private static final class Channel {
        final ByteArrayOutputStream held = new ByteArrayOutputStream();
        long written;
    }

    HeldAudio(SessionArchive files, RedactionSettings.AudioMode mode) {
        this.files = files;
        this.mode = mode;
        this.mulaw = "mulaw".equals(files.encoding());
        this.bytesPerSample = mulaw ? 1 : 2;
        this.sampleRate = files.sampleRate();
        files.channels().forEach(name -> channels.put(name, new Channel()));
    }

    synchronized void audio(String channel, byte[] bytes) {
        Channel ch = channels.get(channel);
        if (ch != null) {
            ch.held.writeBytes(bytes);
        }
    }

    /** Audio the call had but Parley did not get, on {@code channel} or on every channel (null). */
    synchronized void silence(String channel, long bytes) {
        channels.forEach((name, ch) -> {
            if (channel == null || channel.equals(name)) {
                byte[] quiet = new byte[(int) bytes];
                if (mulaw) {
                    java.util.Arrays.fill(quiet, G711.encode((short) 0));
                }
                ch.held.writeBytes(quiet);
            }
        });
    }

    /**
     * A final of {@code channel} ending at {@code endMs} was judged: the spans {@code [from, to)} ms
     * are replaced, and its audio up to {@code endMs} written.
     */
    synchronized void judged(String channel, long endMs, List<long[]> redactedMs) {
        Channel ch = channels.get(channel);
        if (ch == null) {
            return;
        }
        byte[] held = ch.held.toByteArray();
        for (long[] span : redactedMs) {
            int from = (int) Math.max(0, offset(span[0]) - ch.written);
            int to = (int) Math.min(held.length, offset(span[1]) - ch.written);
            mask(held, from, to, ch.written);
        }
        int upTo = (int) Math.min(held.length, Math.max(0, offset(endMs) - ch.written));
        write(channel, ch, held, upTo);
    }

    /** Everything held is judged (the session ended): written. */
    synchronized void flush() {
        channels.forEach((name, ch) -> {
            byte[] held = ch.held.toByteArray();
            write(name, ch, held, held.length);
        });
    }

    private void write(String name, Channel ch, byte[] held, int upTo) {
        if (upTo > 0) {
            files.appendAudio(name, java.util.Arrays.copyOfRange(held, 0, upTo));
        }
        ch.held.reset();
        ch.held.write(held, upTo, held.length - upTo);
        ch.written += upTo;
    }

    /** Byte offset in a channel's audio of {@code ms}, on a sample boundary. */
    private long offset(long ms) {
        return ms * sampleRate / 1000 * bytesPerSample;
    }

    private void mask(byte[] audio, int from, int to, long base) {
        int first = from;
        while ((base + first) % bytesPerSample != 0) {
            first++;
        }
        for (int i = first; i + bytesPerSample <= to; i += bytesPerSample) {
            short value = 0;
            if (mode == RedactionSettings.AudioMode.TONE) {
                long sample = (base + i) / bytesPerSample;
                value = (short) Math.round(TONE_AMPLITUDE * Math.sin(2 * Math.PI * TONE_HZ * sample / sampleRate));
            }
            if (mulaw) {
                audio[i] = G711.encode(value);
            } else {
                audio[i] = (byte) value;
                audio[i + 1] = (byte) (value >> 8);
            }
        }
    }
}
