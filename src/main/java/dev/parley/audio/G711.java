package dev.parley.audio;

/**
 * ITU-T G.711 mu-law, scaled to 16-bit PCM: codes decode to ±32124 at most, and 0xFF and 0x7F
 * both decode to 0.
 */
public final class G711 {

    private static final int BIAS = 0x84;
    // Larger magnitudes would overflow the top segment once the bias is added.
    private static final int CLIP = 32635;

    // Decoding runs once per sample of every telephony stream, so a lookup beats the bit fiddling.
    private static final short[] DECODE = new short[256];

    static {
        for (int code = 0; code < 256; code++) {
            // Codes are transmitted inverted so that silence is not a run of zero bits on the line.
            int u = ~code & 0xFF;
            int exponent = (u >> 4) & 0x07;
            int mantissa = u & 0x0F;
            int magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
            DECODE[code] = (short) ((u & 0x80) != 0 ? -magnitude : magnitude);
        }
    }

    private G711() {}

    /** The linear value of a mu-law code. */
    public static short decode(byte mulaw) {
        return DECODE[mulaw & 0xFF];
    }

    /** The mu-law code of a linear sample; magnitudes beyond 32635 clip to the loudest code. */
    public static byte encode(short pcm) {
        int sign = pcm < 0 ? 0x80 : 0;
        // Widen before negating: -(-32768) does not fit a short.
        int magnitude = Math.min(Math.abs((int) pcm), CLIP) + BIAS;
        // The bias puts the leading one at bit 7 or higher, so the segment is its distance from 7.
        int exponent = 31 - Integer.numberOfLeadingZeros(magnitude) - 7;
        int mantissa = (magnitude >> (exponent + 3)) & 0x0F;
        return (byte) ~(sign | (exponent << 4) | mantissa);
    }

    /** Decodes {@code len} codes from {@code in[off]} into {@code out[0..len)}. */
    public static void decode(byte[] in, int off, int len, short[] out) {
        for (int i = 0; i < len; i++) {
            out[i] = DECODE[in[off + i] & 0xFF];
        }
    }

    /** Encodes {@code len} samples from {@code in[off]}. */
    public static byte[] encode(short[] in, int off, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = encode(in[off + i]);
        }
        return out;
    }
}
