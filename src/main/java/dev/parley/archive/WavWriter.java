package dev.parley.archive;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A call's audio as a WAV file that is valid at every moment: one WAV channel per call channel, at
 * the rate and in the encoding it was received (PCM16 as WAVE_FORMAT_PCM, mu-law as
 * WAVE_FORMAT_MULAW with its {@code fact} chunk). After each append the samples are written first,
 * then the whole header (one positional write) with the new sizes, so the sizes never claim bytes
 * that are not there.
 *
 * <p>Several channels are interleaved: each channel's samples wait in its own buffer, and frames
 * are written as far as every channel has data. A channel that lags the most advanced one by more
 * than {@code maxLagFrames} is taken to be silent for the excess and padded with silence (so a
 * muted or one-sided stream never holds back the file, or memory, for more than that). That
 * silence counts towards a later gap of the same channel: a stream that joins a call late says
 * how much of the call it missed, and the file already has most of it. At {@link #finish()} every
 * channel is padded to the longest. Not thread-safe; the caller locks.
 */
final class WavWriter {

    private static final Logger LOG = LoggerFactory.getLogger(WavWriter.class);

    static final short WAVE_FORMAT_PCM = 1;
    static final short WAVE_FORMAT_MULAW = 7;
    private static final byte MULAW_SILENCE = (byte) 0xFF;
    /** RIFF sizes are unsigned 32-bit. */
    private static final long MAX_RIFF = 0xFFFF_FFFFL;

    private final FileChannel file;
    private final Path path;
    private final boolean mulaw;
    private final int channels;
    private final int sampleRate;
    private final int bytesPerSample;
    private final int blockAlign;
    private final int headerLength;
    private final long maxLagFrames;
    private final long maxDataBytes;
    private final Map<String, Integer> index = new HashMap<>();
    private final Buffer[] pending;
    private final byte[][] carry;
    /** Per channel, bytes of silence drain() added for lag that no gap of that channel has used yet. */
    private final long[] lagPadding;

    private long dataBytes;
    private boolean padByte;
    private boolean full;
    private boolean finished;

    WavWriter(Path path, List<String> channelNames, int sampleRate, boolean mulaw, long maxLagFrames) throws IOException {
        this.path = path;
        this.mulaw = mulaw;
        this.channels = channelNames.size();
        this.sampleRate = sampleRate;
        this.bytesPerSample = mulaw ? 1 : 2;
        this.blockAlign = channels * bytesPerSample;
        this.headerLength = mulaw ? 58 : 44;
        this.maxLagFrames = maxLagFrames;
        this.lagPadding = new long[channelNames.size()];
        long max = MAX_RIFF - (headerLength - 8) - 1;
        this.maxDataBytes = max - max % (2L * blockAlign);
        this.pending = new Buffer[channels];
        this.carry = new byte[channels][];
        for (int i = 0; i < channels; i++) {
            index.put(channelNames.get(i), i);
            pending[i] = new Buffer();
            carry[i] = new byte[0];
        }
        this.file = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        writeHeader();
    }

    void append(String channel, byte[] bytes) throws IOException {
        Integer ch = index.get(channel);
        if (ch == null) {
            throw new IllegalArgumentException("unknown channel " + SafeNames.describe(channel) + ", this session has " + index.keySet());
        }
        if (finished) {
            throw new IllegalStateException("audio is finished");
        }
        // Only whole samples go on; a split sample waits for the rest of it.
        byte[] in = bytes;
        if (carry[ch].length > 0) {
            in = Arrays.copyOf(carry[ch], carry[ch].length + bytes.length);
            System.arraycopy(bytes, 0, in, carry[ch].length, bytes.length);
        }
        int whole = in.length - in.length % bytesPerSample;
        pending[ch].add(in, 0, whole);
        carry[ch] = Arrays.copyOfRange(in, whole, in.length);
        drain(false);
    }

    /**
     * Appends silence to {@code channel}, or to every channel at once when it is null (a gap in the
     * whole call), a second at a time so a long gap needs no more memory than a short one. A sample
     * split by the gap is completed with silence.
     */
    void appendSilence(String channel, long bytesPerChannel) throws IOException {
        if (finished) {
            throw new IllegalStateException("audio is finished");
        }
        Integer only = channel == null ? null : index.get(channel);
        if (channel != null && only == null) {
            throw new IllegalArgumentException("unknown channel " + SafeNames.describe(channel) + ", this session has " + index.keySet());
        }
        byte silence = mulaw ? MULAW_SILENCE : 0;
        for (int c = 0; c < channels; c++) {
            if (only != null && c != only) {
                continue;
            }
            if (only != null) {
                long used = Math.min(lagPadding[c], bytesPerChannel);
                lagPadding[c] -= used;
                bytesPerChannel -= used;
            }
            if (carry[c].length > 0) {
                pending[c].add(carry[c], 0, carry[c].length);
                pending[c].addSilence(bytesPerSample - carry[c].length, silence);
                carry[c] = new byte[0];
            }
        }
        long frames = bytesPerChannel / bytesPerSample;
        while (frames > 0 && !full) {
            int step = (int) Math.min(frames, sampleRate);
            for (int c = 0; c < channels; c++) {
                if (only == null || c == only) {
                    pending[c].addSilence(step * bytesPerSample, silence);
                }
            }
            drain(false);
            frames -= step;
        }
    }

    /** Writes everything buffered, padding channels to the longest. No append may follow. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        drain(true);
        finished = true;
    }

    void close(boolean fsync) throws IOException {
        try {
            finish();
            if (fsync) {
                file.force(true);
            }
        } finally {
            file.close();
        }
    }

    long dataBytes() {
        return dataBytes;
    }

    private void drain(boolean end) throws IOException {
        int frames;
        if (channels == 1) {
            frames = pending[0].length / bytesPerSample;
        } else {
            long most = 0;
            for (Buffer b : pending) {
                most = Math.max(most, b.length / bytesPerSample);
            }
            long lag = end ? 0 : maxLagFrames;
            for (int c = 0; c < channels; c++) {
                long behind = most - pending[c].length / bytesPerSample;
                if (behind > lag) {
                    int pad = (int) ((behind - lag) * bytesPerSample);
                    pending[c].addSilence(pad, mulaw ? MULAW_SILENCE : 0);
                    if (!end) {
                        lagPadding[c] += pad;
                    }
                }
            }
            frames = Integer.MAX_VALUE;
            for (Buffer b : pending) {
                frames = Math.min(frames, b.length / bytesPerSample);
            }
        }
        // A RIFF chunk of odd size needs a pad byte after it, which later data would overwrite: with
        // an odd block (mono mu-law) one frame waits until the next append so the data stays even.
        if (!end && blockAlign % 2 == 1 && frames % 2 == 1) {
            frames--;
        }
        if (frames == 0) {
            return;
        }
        byte[] out = new byte[frames * blockAlign];
        if (channels == 1) {
            System.arraycopy(pending[0].data, 0, out, 0, out.length);
        } else {
            for (int c = 0; c < channels; c++) {
                byte[] src = pending[c].data;
                for (int f = 0; f < frames; f++) {
                    System.arraycopy(src, f * bytesPerSample, out, f * blockAlign + c * bytesPerSample, bytesPerSample);
                }
            }
        }
        for (Buffer b : pending) {
            b.drop(frames * bytesPerSample);
        }
        writeData(out, end);
    }

    private void writeData(byte[] out, boolean end) throws IOException {
        int length = out.length;
        if (dataBytes + length > maxDataBytes) {
            if (!full) {
                LOG.warn("{} reached the WAV size limit of 4 GiB; later audio is not archived", path);
                full = true;
            }
            length = (int) (maxDataBytes - dataBytes);
            if (length <= 0) {
                return;
            }
        }
        boolean odd = (length & 1) == 1;
        ByteBuffer data = ByteBuffer.wrap(Arrays.copyOf(out, length + (odd ? 1 : 0))); // with its pad byte if odd
        AtomicFiles.writeFully(file, data, headerLength + dataBytes);
        dataBytes += length;
        padByte = odd; // only at the end: see drain()
        writeHeader();
    }

    private void writeHeader() throws IOException {
        ByteBuffer h = ByteBuffer.allocate(headerLength).order(ByteOrder.LITTLE_ENDIAN);
        long riff = headerLength - 8 + dataBytes + (padByte ? 1 : 0);
        h.put(ascii("RIFF")).putInt((int) riff).put(ascii("WAVE"));
        h.put(ascii("fmt ")).putInt(mulaw ? 18 : 16);
        h.putShort(mulaw ? WAVE_FORMAT_MULAW : WAVE_FORMAT_PCM);
        h.putShort((short) channels);
        h.putInt(sampleRate);
        h.putInt(sampleRate * blockAlign);
        h.putShort((short) blockAlign);
        h.putShort((short) (bytesPerSample * 8));
        if (mulaw) {
            h.putShort((short) 0); // cbSize
            h.put(ascii("fact")).putInt(4).putInt((int) (dataBytes / blockAlign));
        }
        h.put(ascii("data")).putInt((int) dataBytes);
        h.flip();
        AtomicFiles.writeFully(file, h, 0);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** A growable byte queue: appended at the end, taken from the front. */
    private static final class Buffer {
        byte[] data = new byte[4096];
        int length;

        void add(byte[] src, int offset, int count) {
            ensure(count);
            System.arraycopy(src, offset, data, length, count);
            length += count;
        }

        void addSilence(int count, byte value) {
            ensure(count);
            Arrays.fill(data, length, length + count, value);
            length += count;
        }

        void drop(int count) {
            System.arraycopy(data, count, data, 0, length - count);
            length -= count;
        }

        private void ensure(int more) {
            if (length + more > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, length + more));
            }
        }
    }
}
