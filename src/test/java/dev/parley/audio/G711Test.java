package dev.parley.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class G711Test {

    @Test
    void everyCodeDecodesToTheStandardValue() {
        for (int code = 0; code < 256; code++) {
            // Straight from the definition: the code is sent complemented, then sign, 3-bit
            // exponent and 4-bit mantissa, with the bias of 33 (x4 for 16-bit scale) removed.
            int complemented = ~code & 0xFF;
            boolean negative = (complemented & 0x80) != 0;
            int exponent = (complemented >> 4) & 0x7;
            int mantissa = complemented & 0xF;
            int magnitude = (((mantissa << 3) + 132) << exponent) - 132;
            assertEquals(negative ? -magnitude : magnitude, G711.decode((byte) code), "code " + code);
        }
    }

    @Test
    void anchorValues() {
        assertEquals(0, G711.decode((byte) 0xFF));
        assertEquals(0, G711.decode((byte) 0x7F));
        assertEquals(-32124, G711.decode((byte) 0x00));
        assertEquals(32124, G711.decode((byte) 0x80));
        assertEquals(8, G711.decode((byte) 0xFE));
        assertEquals(-8, G711.decode((byte) 0x7E));
        // Top of the first segment and bottom of the second: the step doubles from 8 to 16.
        assertEquals(120, G711.decode((byte) 0xF0));
        assertEquals(132, G711.decode((byte) 0xEF));
        assertEquals(148, G711.decode((byte) 0xEE));
        assertEquals(-16764, G711.decode((byte) 0x0F));
        assertEquals(-15996, G711.decode((byte) 0x10));
    }

    @Test
    void encodingADecodedCodeGivesItBack() {
        for (int code = 0; code < 256; code++) {
            // Negative zero (0x7F) has no linear value of its own; it comes back as positive zero.
            int expected = code == 0x7F ? 0xFF : code;
            assertEquals(expected, G711.encode(G711.decode((byte) code)) & 0xFF, "code " + code);
        }
    }

    @Test
    void encodeRoundsToTheNearestLevelAndClipsAtFullScale() {
        // Decoded values sit mid-way between decision levels, so 0..3 -> 0 and 4..11 -> 8.
        assertEquals((byte) 0xFF, G711.encode((short) 3));
        assertEquals((byte) 0xFE, G711.encode((short) 4));
        assertEquals((byte) 0xFE, G711.encode((short) 11));
        assertEquals((byte) 0x7E, G711.encode((short) -4));
        assertEquals((byte) 0x80, G711.encode(Short.MAX_VALUE));
        assertEquals((byte) 0x00, G711.encode(Short.MIN_VALUE));
    }

    @Test
    void fullScaleSineSurvivesWithMoreThan30dBSnr() {
        short[] sine = new short[8000];
        for (int i = 0; i < sine.length; i++) {
            sine[i] = (short) Math.round(32767 * Math.sin(2 * Math.PI * 1013 * i / 8000.0));
        }
        short[] decoded = new short[sine.length];
        G711.decode(G711.encode(sine, 0, sine.length), 0, sine.length, decoded);
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < sine.length; i++) {
            signal += (double) sine[i] * sine[i];
            noise += (double) (sine[i] - decoded[i]) * (sine[i] - decoded[i]);
        }
        double snr = 10 * Math.log10(signal / noise);
        System.out.printf("G.711 full-scale sine SNR %.1f dB%n", snr);
        assertTrue(snr > 30, "SNR " + snr);
    }

    @Test
    void bulkHelpersHonourOffsetAndLength() {
        byte[] codes = {0x11, (byte) 0xFE, 0x00, (byte) 0x80, 0x22};
        short[] out = new short[3];
        G711.decode(codes, 1, 3, out);
        assertArrayEquals(new short[] {8, -32124, 32124}, out);
        short[] pcm = {1, 8, -32124, 32124, 1};
        assertArrayEquals(new byte[] {(byte) 0xFE, 0x00, (byte) 0x80}, G711.encode(pcm, 1, 3));
    }
}
