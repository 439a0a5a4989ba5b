package dev.parley.audio;

/** Mono audio as a client sends it: encoding and sample rate. */
public record AudioFormat(AudioEncoding encoding, int sampleRate) {

    /** Bytes of this format that hold the given duration. */
    public long bytesFor(long millis) {
        return millis * sampleRate / 1000 * encoding.bytesPerSample();
    }

    /** Duration in milliseconds of the given number of bytes of this format. */
    public long millisOf(long bytes) {
        return bytes / encoding.bytesPerSample() * 1000 / sampleRate;
    }

    /** Duration in seconds of the given number of bytes of this format, without rounding. */
    public double secondsOf(long bytes) {
        return (double) bytes / encoding.bytesPerSample() / sampleRate;
    }

    /** Decodes wire bytes (a whole number of samples) to PCM16 samples at the same rate. */
    public short[] decode(byte[] bytes) {
        return switch (encoding) {
            case PCM16 -> Pcm16.littleEndianToShorts(bytes, 0, bytes.length);
            case MULAW -> {
                short[] out = new short[bytes.length];
                G711.decode(bytes, 0, bytes.length, out);
                yield out;
            }
        };
    }
}
