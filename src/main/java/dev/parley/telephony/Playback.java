package dev.parley.telephony;

import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.audio.Resampler;
import dev.parley.tts.WavInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Speech for a phone line: a WAV (mono PCM16 at any rate) as 8 kHz mu-law in 20 ms frames of 160 bytes. */
public final class Playback {

    public static final int RATE = 8000;
    public static final int FRAME_BYTES = 160;
    private static final byte SILENCE = (byte) 0xFF;

    private Playback() {
    }

    /** The speech resampled to 8 kHz (same duration, filter delay removed), as PCM16 samples. */
    public static short[] toTelephone(byte[] wav) {
        WavInfo info = WavInfo.parse(wav);
        if (!info.isMonoPcm16()) {
            throw new IllegalArgumentException("speech must be mono 16-bit PCM");
        }
        byte[] data = info.data(wav);
        short[] pcm = Pcm16.littleEndianToShorts(data, 0, data.length);
        if (info.sampleRate() == RATE) {
            return pcm;
        }
        Resampler resampler = new Resampler(info.sampleRate(), RATE);
        int delay = resampler.delay();
        int wanted = (int) ((long) pcm.length * RATE / info.sampleRate());
        int pad = (int) Math.ceil((delay + 2) * (double) info.sampleRate() / RATE);
        short[] padded = Arrays.copyOf(pcm, pcm.length + pad);
        short[] out = resampler.process(padded, 0, padded.length);
        return Arrays.copyOfRange(out, delay, Math.min(out.length, delay + wanted));
    }

    /** The speech as mu-law frames of exactly 160 bytes, the last one padded with silence. */
    public static List<byte[]> frames(byte[] wav) {
        short[] pcm = toTelephone(wav);
        byte[] mulaw = G711.encode(pcm, 0, pcm.length);
        List<byte[]> frames = new ArrayList<>();
        for (int off = 0; off < mulaw.length; off += FRAME_BYTES) {
            byte[] frame = new byte[FRAME_BYTES];
            Arrays.fill(frame, SILENCE);
            System.arraycopy(mulaw, off, frame, 0, Math.min(FRAME_BYTES, mulaw.length - off));
            frames.add(frame);
        }
        return frames;
    }

    /** Root mean square of mu-law audio, in linear 16-bit units. */
    public static double rms(byte[] mulaw, int off, int len) {
        if (len <= 0) {
            return 0;
        }
        double sum = 0;
        for (int i = off; i < off + len; i++) {
            double s = G711.decode(mulaw[i]);
            sum += s * s;
        }
        return Math.sqrt(sum / len);
    }
}
