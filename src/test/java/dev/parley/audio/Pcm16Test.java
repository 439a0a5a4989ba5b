package dev.parley.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class Pcm16Test {

    @Test
    void readsLittleEndianPairs() {
        byte[] bytes = {0x55, 0x34, 0x12, (byte) 0xFF, (byte) 0xFF, 0x00, (byte) 0x80, (byte) 0xFF, 0x7F};
        assertArrayEquals(new short[] {0x1234, -1, Short.MIN_VALUE, Short.MAX_VALUE},
                Pcm16.littleEndianToShorts(bytes, 1, 8));
    }

    @Test
    void writesLittleEndianPairs() {
        short[] samples = {7, 0x1234, -1, Short.MIN_VALUE, 7};
        assertArrayEquals(new byte[] {0x34, 0x12, (byte) 0xFF, (byte) 0xFF, 0x00, (byte) 0x80},
                Pcm16.shortsToLittleEndian(samples, 1, 3));
    }

    @Test
    void everySampleRoundTrips() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) (i - 32768);
        }
        assertArrayEquals(all, Pcm16.littleEndianToShorts(Pcm16.shortsToLittleEndian(all, 0, all.length), 0, 2 * all.length));
    }

    @Test
    void rejectsASplitSample() {
        assertThrows(IllegalArgumentException.class, () -> Pcm16.littleEndianToShorts(new byte[3], 0, 3));
    }
}
