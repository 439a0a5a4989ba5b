package dev.parley.ingest.openai;

/** ITU-T G.711 A-law, decoded to 16-bit PCM (little-endian bytes) for {@code audio/pcma} sessions. */
final class ALaw {

    private static final short[] DECODE = new short[256];

    static {
        for (int code = 0; code < 256; code++) {
            int a = code ^ 0x55;
            int exponent = (a >> 4) & 0x07;
            int mantissa = a & 0x0F;
            int magnitude = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
            DECODE[code] = (short) ((a & 0x80) != 0 ? magnitude : -magnitude);
        }
    }

    private ALaw() {
    }

    static short decode(byte code) {
        return DECODE[code & 0xFF];
    }

    /** A-law bytes to PCM16 little-endian bytes at the same rate. */
    static byte[] toPcm16(byte[] alaw) {
        byte[] out = new byte[alaw.length * 2];
        for (int i = 0; i < alaw.length; i++) {
            short s = DECODE[alaw[i] & 0xFF];
            out[2 * i] = (byte) s;
            out[2 * i + 1] = (byte) (s >> 8);
        }
        return out;
    }
}
