package dev.parley.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** A mono 16-bit PCM WAV file: its rate and its samples as little-endian bytes. */
public record WavFile(int sampleRate, byte[] pcm) {

    public static WavFile read(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
            throw new IOException(path + " is not a RIFF/WAVE file");
        }
        int pos = 12;
        int rate = -1;
        while (pos + 8 <= b.limit()) {
            int id = b.getInt(pos);
            int size = b.getInt(pos + 4);
            if (id == 0x20746d66) { // "fmt "
                if (b.getShort(pos + 8) != 1 || b.getShort(pos + 10) != 1 || b.getShort(pos + 22) != 16) {
                    throw new IOException(path + " is not mono 16-bit PCM");
                }
                rate = b.getInt(pos + 12);
            } else if (id == 0x61746164) { // "data"
                int end = Math.min(b.limit(), pos + 8 + size);
                return new WavFile(rate, Arrays.copyOfRange(b.array(), pos + 8, end));
            }
            pos += 8 + size + (size & 1);
        }
        throw new IOException(path + " has no data chunk");
    }

    /**
     * Near-silence as a quiet room gives it (+-2 LSB of noise, as the benchmark's gaps): a recognizer's voice activity
     * detection ends an utterance on it, which all-zero samples do not reliably do.
     */
    public static byte[] quiet(int sampleRate, int millis) {
        java.util.Random noise = new java.util.Random(millis);
        byte[] pcm = new byte[sampleRate / 1000 * millis * 2];
        for (int i = 0; i < pcm.length; i += 2) {
            int sample = noise.nextInt(5) - 2;
            pcm[i] = (byte) sample;
            pcm[i + 1] = (byte) (sample >> 8);
        }
        return pcm;
    }

    public long durationMillis() {
        return pcm.length / 2 * 1000L / sampleRate;
    }
}
