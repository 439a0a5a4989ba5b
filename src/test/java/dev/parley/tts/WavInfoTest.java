package dev.parley.tts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WavInfoTest {

    static byte[] pcm(int bytes) {
        byte[] data = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            data[i] = (byte) i;
        }
        return data;
    }

    @Test
    void readsTheCanonicalWavItWrites() {
        byte[] wav = WavInfo.pcm(pcm(16000), 8000, 1, 16);
        WavInfo info = WavInfo.parse(wav);
        assertEquals(new WavInfo(1, 1, 8000, 16, 2, 44, 16000, true), info);
        assertEquals(1000, info.durationMillis());
        assertEquals(8000, info.frames());
        assertTrue(info.isMonoPcm16());
        assertSame(wav, info.canonical(wav), "a canonical file is returned as is");
        assertArrayEquals(pcm(16000), info.data(wav));
    }

    @Test
    void repairsTheSizesESpeakLeavesWhenWritingToStdout() throws Exception {
        Process p = new ProcessBuilder("espeak-ng", "-v", "en", "--stdout", "--", "Testing the header.").start();
        byte[] wav = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(Integer.toUnsignedLong(b.getInt(40)) > wav.length, "eSpeak writes a placeholder data size");
        WavInfo info = WavInfo.parse(wav);
        assertFalse(info.sizesConsistent());
        assertEquals(wav.length - 44, info.dataLength());
        byte[] fixed = info.canonical(wav);
        WavInfo again = WavInfo.parse(fixed);
        assertTrue(again.sizesConsistent());
        assertEquals(info.durationMillis(), again.durationMillis());
        ByteBuffer f = ByteBuffer.wrap(fixed).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(fixed.length - 8, f.getInt(4));
        assertEquals(fixed.length - 44, f.getInt(40));
    }

    @Test
    void readsAllOnesPlaceholderToTheEndInWholeFrames() {
        byte[] wav = WavInfo.pcm(pcm(1001), 16000, 1, 16); // odd trailing byte: half a sample
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 0xFFFFFFFF).putInt(40, 0xFFFFFFFF);
        WavInfo info = WavInfo.parse(wav);
        assertEquals(1000, info.dataLength());
        assertFalse(info.sizesConsistent());
        assertEquals(1000 + 44, info.canonical(wav).length);
    }

    @Test
    void readsZeroPlaceholderWhenAudioFollows() {
        byte[] wav = WavInfo.pcm(pcm(800), 8000, 1, 16);
        ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0).putInt(40, 0);
        assertEquals(800, WavInfo.parse(wav).dataLength());
    }

    @Test
    void skipsOtherChunksAndTheirPadByteAndReadsExtensibleFormat() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer fmt = ByteBuffer.allocate(8 + 40).order(ByteOrder.LITTLE_ENDIAN);
        fmt.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(40)
                .putShort((short) 0xFFFE).putShort((short) 2).putInt(48000).putInt(48000 * 4)
                .putShort((short) 4).putShort((short) 16).putShort((short) 22).putShort((short) 16).putInt(3)
                .putShort((short) 1).put(new byte[14]); // KSDATAFORMAT_SUBTYPE_PCM
        byte[] list = "LIST\u0003\u0000\u0000\u0000abc\u0000".getBytes(StandardCharsets.ISO_8859_1); // odd size + pad
        ByteBuffer data = ByteBuffer.allocate(8 + 4800).order(ByteOrder.LITTLE_ENDIAN);
        data.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(4800);
        int riff = 4 + fmt.capacity() + list.length + data.capacity();
        out.write("RIFF".getBytes(StandardCharsets.US_ASCII));
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(riff).array());
        out.write("WAVE".getBytes(StandardCharsets.US_ASCII));
        out.write(fmt.array());
        out.write(list);
        out.write(data.array());
        WavInfo info = WavInfo.parse(out.toByteArray());
        assertEquals(new WavInfo(1, 2, 48000, 16, 4, 12 + 48 + 12 + 8, 4800, true), info);
        assertEquals(25, info.durationMillis());
        assertFalse(info.isMonoPcm16());
    }

    @Test
    void refusesWhatIsNotAUsableWav() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WavInfo.parse(new byte[3]))
                .getMessage().contains("not a WAV"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> WavInfo.parse("ID3\u0004 an mp3 file...".getBytes(StandardCharsets.ISO_8859_1)))
                .getMessage().contains("RIFF"));
        byte[] noData = Arrays.copyOf(WavInfo.pcm(new byte[0], 8000, 1, 16), 36);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WavInfo.parse(noData))
                .getMessage().contains("no data chunk"));
        byte[] zeroRate = WavInfo.pcm(pcm(10), 0, 1, 16);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WavInfo.parse(zeroRate))
                .getMessage().contains("0 Hz"));
    }
}
