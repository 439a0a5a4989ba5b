package dev.parley.audio;

import java.util.Locale;

/** How a client encodes its audio samples on the wire. */
public enum AudioEncoding {
    /** Signed 16-bit little-endian PCM: two bytes a sample. */
    PCM16("pcm16", 2),
    /** G.711 mu-law: one byte a sample. */
    MULAW("mulaw", 1);

    private final String wireName;
    private final int bytesPerSample;

    AudioEncoding(String wireName, int bytesPerSample) {
        this.wireName = wireName;
        this.bytesPerSample = bytesPerSample;
    }

    public String wireName() { return wireName; }

    public int bytesPerSample() { return bytesPerSample; }

    /** The encoding for a wire name such as {@code pcm16}, or {@code null} if there is none. */
    public static AudioEncoding fromWireName(String name) {
        for (AudioEncoding e : values()) {
            if (e.wireName.equals(name.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        return null;
    }
}
