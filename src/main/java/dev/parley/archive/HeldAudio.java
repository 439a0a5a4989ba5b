package dev.parley.archive;

import dev.parley.audio.G711;
import dev.parley.privacy.RedactionSettings;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A session's audio on its way to {@code audio.wav} with audio redaction on: each channel's audio is
 * held in memory until the utterances in it are judged (their final is recorded), then the spans of
 * redacted words are replaced by silence or a tone and the audio written. A crash loses what is held,
 * never writes it unjudged. What follows a channel's last final waits for the next final or the end
 * of the session (a minute of 16 kHz audio is about 2 MB), up to a bound
 * ({@code parley.redaction.max-held-audio-s}): past it, the oldest held audio is written as silence,
 * unjudged and so never as it was, and counted ({@link #silencedMillis}).
 */
final class HeldAudio {

    private static final Logger LOG = LoggerFactory.getLogger(HeldAudio.class);

    /** Amplitude of the tone that may replace redacted words: -20 dBFS. */
    private static final double TONE_AMPLITUDE = 3277;
    private static final double TONE_HZ = 1000;

    private final SessionArchive files;
    private final RedactionSettings.AudioMode mode;
    private final int bytesPerSample;
    private final boolean mulaw;
    private final int sampleRate;
    private final long maxHeldBytes;
    private final Map<String, Channel> channels = new HashMap<>();
    private long silencedBytes;

    /** One channel's audio not yet written, and how much was written before it. */
    private static final class Channel {
        final ByteArrayOutputStream held = new ByteArrayOutputStream();
        long written;
    }

    HeldAudio(SessionArchive files, RedactionSettings.AudioMode mode, long maxHeldMillis) {
        this.files = files;
        this.mode = mode;
        this.mulaw = "mulaw".equals(files.encoding());
        this.bytesPerSample = mulaw ? 1 : 2;
        this.sampleRate = files.sampleRate();
        this.maxHeldBytes = offset(maxHeldMillis);
        files.channels().forEach(name -> channels.put(name, new Channel()));
    }

    synchronized void audio(String channel, byte[] bytes) {
        Channel ch = channels.get(channel);
        if (ch != null) {
            ch.held.writeBytes(bytes);
            bound(channel, ch);
        }
    }

    /** Audio the call had but Parley did not get, on {@code channel} or on every channel (null). */
    synchronized void silence(String channel, long bytes) {
        channels.forEach((name, ch) -> {
            if (channel == null || channel.equals(name)) {
                ch.held.writeBytes(quiet((int) bytes));
                bound(name, ch);
            }
        });
    }

    /** How much audio, over all channels, was written as silence because it was held too long unjudged. */
    synchronized long silencedMillis() {
        return silencedBytes / bytesPerSample * 1000 / sampleRate;
    }

    /**
     * Past the bound, the oldest held audio goes to disk as silence: a tenth of the bound more than
     * the excess, so that the rest is not copied with every frame.
     */
    private void bound(String name, Channel ch) {
        if (ch.held.size() <= maxHeldBytes) {
            return;
        }
        long cut = (ch.held.size() - maxHeldBytes + maxHeldBytes / 10) / bytesPerSample * bytesPerSample;
        byte[] held = ch.held.toByteArray();
        files.appendAudio(name, quiet((int) cut));
        ch.held.reset();
        ch.held.write(held, (int) cut, held.length - (int) cut);
        ch.written += cut;
        silencedBytes += cut;
        LOG.warn("Channel {} of {} held {} ms of audio with no final: its oldest {} ms were written to audio.wav as "
                + "silence (parley.redaction.max-held-audio-s)", name, files.folder().getFileName(),
                held.length / bytesPerSample * 1000L / sampleRate, cut / bytesPerSample * 1000 / sampleRate);
    }

    private byte[] quiet(int bytes) {
        byte[] quiet = new byte[bytes];
        if (mulaw) {
            java.util.Arrays.fill(quiet, G711.encode((short) 0));
        }
        return quiet;
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
