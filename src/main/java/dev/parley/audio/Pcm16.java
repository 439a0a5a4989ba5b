package dev.parley.audio;

/** Conversions between 16-bit PCM samples and their little-endian bytes, as in WAV and most wire formats. */
public final class Pcm16 {

    private Pcm16() {}

    /**
     * The samples in {@code len} bytes from {@code b[off]}.
     *
     * @throws IllegalArgumentException if {@code len} is odd: a split sample cannot be decoded, and
     *     the caller must carry the odd byte over to its next buffer
     */
    public static short[] littleEndianToShorts(byte[] b, int off, int len) {
        if ((len & 1) != 0) {
            throw new IllegalArgumentException("odd byte count " + len);
        }
        short[] out = new short[len >> 1];
        for (int i = 0; i < out.length; i++) {
            int p = off + (i << 1);
            out[i] = (short) ((b[p] & 0xFF) | (b[p + 1] << 8));
        }
        return out;
    }

    /** The little-endian bytes of {@code len} samples from {@code s[off]}. */
    public static byte[] shortsToLittleEndian(short[] s, int off, int len) {
        byte[] out = new byte[len << 1];
        for (int i = 0; i < len; i++) {
            short v = s[off + i];
            out[i << 1] = (byte) v;
            out[(i << 1) + 1] = (byte) (v >> 8);
        }
        return out;
    }
}
