package dev.parley.tts;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The format and data location of a RIFF/WAVE file, read from its {@code fmt } and {@code data}
 * chunks (other chunks, such as {@code LIST}, are skipped).
 *
 * <p>Streaming writers do not know the length when they write the header: eSpeak NG's
 * {@code --stdout} leaves {@code 0x7FFFF000}-like sizes, OpenAI and ffmpeg write {@code 0xFFFFFFFF}.
 * A {@code data} chunk that claims more bytes than the file holds (or 0 bytes while audio follows)
 * is read to the end of the file, cut to whole frames; {@link #sizesConsistent()} then says
 * {@code false} and {@link #canonical(byte[])} writes a file whose header is right.
 *
 * @param formatTag      1 for PCM, 3 for IEEE float, 6/7 for A-law/mu-law (the sub-format of
 *                       {@code WAVE_FORMAT_EXTENSIBLE} files)
 * @param channels       channels per frame
 * @param sampleRate     frames per second
 * @param bitsPerSample  bits of one sample of one channel
 * @param blockAlign     bytes of one frame
 * @param dataOffset     where the audio starts in the file
 * @param dataLength     bytes of audio, a whole number of frames
 * @param sizesConsistent whether the RIFF and data sizes in the header match the file
 */
public record WavInfo(int formatTag, int channels, int sampleRate, int bitsPerSample, int blockAlign,
        int dataOffset, int dataLength, boolean sizesConsistent) {

    public static final int FORMAT_PCM = 1;
    public static final int FORMAT_EXTENSIBLE = 0xFFFE;

    /** Bytes of the canonical header written by {@link #pcm(byte[], int, int, int)}. */
    public static final int CANONICAL_HEADER_BYTES = 44;

    private static final int RIFF = 0x46464952;
    private static final int WAVE = 0x45564157;
    private static final int FMT = 0x20746d66;
    private static final int DATA = 0x61746164;

    /**
     * Reads the header of a WAV file held in memory.
     *
     * @throws IllegalArgumentException saying what is wrong, if this is not a RIFF/WAVE file with a
     *     usable {@code fmt } chunk before its {@code data} chunk
     */
    public static WavInfo parse(byte[] wav) {
        if (wav == null || wav.length < 12) {
            throw new IllegalArgumentException("not a WAV file: " + (wav == null ? 0 : wav.length) + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != RIFF || b.getInt(8) != WAVE) {
            throw new IllegalArgumentException("not a WAV file: it does not start with RIFF....WAVE");
        }
        boolean riffSizeOk = Integer.toUnsignedLong(b.getInt(4)) == wav.length - 8L;
        int tag = -1;
        int channels = 0;
        int rate = 0;
        int bits = 0;
        int align = 0;
        long pos = 12;
        while (pos + 8 <= wav.length) {
            int p = (int) pos;
            int id = b.getInt(p);
            long size = Integer.toUnsignedLong(b.getInt(p + 4));
            long available = wav.length - (pos + 8);
            if (id == FMT) {
                if (size < 16 || size > available) {
                    throw new IllegalArgumentException("bad WAV fmt chunk of " + size + " bytes");
                }
                tag = b.getShort(p + 8) & 0xFFFF;
                channels = b.getShort(p + 10) & 0xFFFF;
                rate = b.getInt(p + 12);
                align = b.getShort(p + 20) & 0xFFFF;
                bits = b.getShort(p + 22) & 0xFFFF;
                if (tag == FORMAT_EXTENSIBLE && size >= 40) {
                    tag = b.getShort(p + 32) & 0xFFFF; // first two bytes of the sub-format GUID
                }
            } else if (id == DATA) {
                if (tag < 0) {
                    throw new IllegalArgumentException("bad WAV file: data chunk before fmt chunk");
                }
                if (channels < 1 || rate < 1 || bits < 1 || align < 1) {
                    throw new IllegalArgumentException("bad WAV format: " + channels + " channels, " + rate
                            + " Hz, " + bits + " bits, " + align + " bytes per frame");
                }
                if (tag == FORMAT_PCM && align != channels * ((bits + 7) / 8)) {
                    throw new IllegalArgumentException("bad WAV format: " + align + " bytes per frame for "
                            + channels + " channels of " + bits + " bits");
                }
                boolean placeholder = size > available || (size == 0 && available > 0 && !looksLikeChunk(wav, p + 8));
                long length = placeholder ? available : size;
                length -= length % align;
                boolean consistent = riffSizeOk && !placeholder && size == length;
                return new WavInfo(tag, channels, rate, bits, align, p + 8, (int) length, consistent);
            }
            pos += 8 + size + (size & 1);
        }
        throw new IllegalArgumentException(tag < 0 ? "bad WAV file: no fmt chunk" : "bad WAV file: no data chunk");
    }

    private static boolean looksLikeChunk(byte[] wav, int at) {
        if (at + 8 > wav.length) {
            return false;
        }
        for (int i = at; i < at + 4; i++) {
            if (wav[i] < 0x20 || wav[i] > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /** Whether this is mono, 16-bit linear PCM: what {@link Speech} carries. */
    public boolean isMonoPcm16() {
        return formatTag == FORMAT_PCM && channels == 1 && bitsPerSample == 16;
    }

    /** Number of frames (samples per channel) of audio. */
    public long frames() {
        return dataLength / blockAlign;
    }

    /** Duration of the audio in whole milliseconds (rounded down). */
    public long durationMillis() {
        return frames() * 1000L / sampleRate;
    }

    /** The audio bytes of {@code wav}, which this header was read from. */
    public byte[] data(byte[] wav) {
        return Arrays.copyOfRange(wav, dataOffset, dataOffset + dataLength);
    }

    /**
     * The same audio as a canonical 44-byte-header WAV with correct sizes: {@code wav} itself when its
     * header is already right and has no other chunks, else a copy.
     */
    public byte[] canonical(byte[] wav) {
        if (sizesConsistent && dataOffset == CANONICAL_HEADER_BYTES && dataLength == wav.length - dataOffset
                && formatTag == FORMAT_PCM) {
            return wav;
        }
        byte[] out = header(formatTag, channels, sampleRate, bitsPerSample, dataLength);
        byte[] full = Arrays.copyOf(out, out.length + dataLength);
        System.arraycopy(wav, dataOffset, full, out.length, dataLength);
        return full;
    }

    /** A WAV file holding linear PCM {@code data} (little-endian samples, interleaved channels). */
    public static byte[] pcm(byte[] data, int sampleRate, int channels, int bitsPerSample) {
        byte[] head = header(FORMAT_PCM, channels, sampleRate, bitsPerSample, data.length);
        byte[] full = Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, full, head.length, data.length);
        return full;
    }

    private static byte[] header(int tag, int channels, int rate, int bits, int dataLength) {
        int align = channels * ((bits + 7) / 8);
        ByteBuffer h = ByteBuffer.allocate(CANONICAL_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataLength)
                .put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
                .putShort((short) tag).putShort((short) channels).putInt(rate).putInt(rate * align)
                .putShort((short) align).putShort((short) bits)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataLength);
        return h.array();
    }
}
