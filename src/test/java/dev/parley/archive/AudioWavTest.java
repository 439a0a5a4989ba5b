package dev.parley.archive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudioWavTest {

    @TempDir
    Path root;

    /** A WAV file parsed strictly: every size must agree with the file's length. */
    record Wav(int format, int channels, int rate, int blockAlign, int bits, Long factFrames, byte[] data) {

        static Wav read(Path file) throws IOException {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("RIFF", ascii(bytes, 0));
            assertEquals("WAVE", ascii(bytes, 8));
            assertEquals(bytes.length - 8, b.getInt(4), "RIFF size is the file's length - 8");
            int pos = 12;
            Integer format = null;
            int channels = 0;
            int rate = 0;
            int align = 0;
            int bits = 0;
            Long fact = null;
            while (pos < bytes.length) {
                assertTrue(pos + 8 <= bytes.length, "whole chunk header");
                String id = ascii(bytes, pos);
                long size = b.getInt(pos + 4) & 0xFFFF_FFFFL;
                long padded = size + (size & 1);
                assertTrue(pos + 8 + padded <= bytes.length, id + " chunk fits in the file");
                switch (id) {
                    case "fmt " -> {
                        format = (int) b.getShort(pos + 8);
                        channels = b.getShort(pos + 10);
                        rate = b.getInt(pos + 12);
                        int byteRate = b.getInt(pos + 16);
                        align = b.getShort(pos + 20);
                        bits = b.getShort(pos + 22);
                        assertEquals(channels * bits / 8, align, "block align");
                        assertEquals(rate * align, byteRate, "byte rate");
                        if (format != 1) {
                            assertTrue(size >= 18, "non-PCM fmt has cbSize");
                            assertEquals(0, b.getShort(pos + 24), "cbSize");
                        }
                    }
                    case "fact" -> fact = b.getInt(pos + 8) & 0xFFFF_FFFFL;
                    case "data" -> {
                        assertTrue(format != null, "fmt before data");
                        assertEquals(bytes.length, pos + 8 + padded, "data is the last chunk and ends the file");
                        assertEquals(0, size % align, "whole frames");
                        if (format != 1) {
                            assertEquals(size / align, fact, "fact holds the frame count");
                        }
                        return new Wav(format, channels, rate, align, bits, fact,
                                Arrays.copyOfRange(bytes, pos + 8, pos + 8 + (int) size));
                    }
                    default -> { }
                }
                pos += 8 + padded;
            }
            throw new AssertionError("no data chunk");
        }

        short sample(int frame, int channel) {
            return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getShort(frame * blockAlign + channel * 2);
        }

        private static String ascii(byte[] b, int at) {
            return new String(b, at, 4, StandardCharsets.US_ASCII);
        }
    }

    private static byte[] pcm(int from, int count, int step) {
        ByteBuffer b = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            b.putShort((short) (from + i * step));
        }
        return b.array();
    }

    @Test
    void monoPcm16IsAValidWavAfterEveryAppendEvenWhenFramesSplitASample() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("speaker"), 24000, "pcm16");
        Path file = session.folder().resolve("audio.wav");
        Wav empty = Wav.read(file);
        assertEquals(0, empty.data().length, "valid from the start");
        byte[] all = pcm(0, 24000, 1);
        Random random = new Random(7);
        int at = 0;
        while (at < all.length) {
            int n = Math.min(all.length - at, 1 + random.nextInt(3000)); // odd sizes too
            session.appendAudio("speaker", Arrays.copyOfRange(all, at, at + n));
            at += n;
            Wav wav = Wav.read(file);
            assertEquals(1, wav.format());
            assertEquals(1, wav.channels());
            assertEquals(24000, wav.rate());
            assertEquals(16, wav.bits());
            assertEquals(at - at % 2, wav.data().length, "every whole sample received so far");
        }
        session.close(null);
        assertArrayEquals(all, Wav.read(file).data());
    }

    @Test
    void muLawIsWaveFormatMulawWithEightBitsAndAFactChunk() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("caller"), 8000, "mulaw");
        Path file = session.folder().resolve("audio.wav");
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        Random random = new Random(3);
        for (int i = 0; i < 50; i++) {
            byte[] chunk = new byte[1 + random.nextInt(400)];
            random.nextBytes(chunk);
            session.appendAudio("caller", chunk);
            sent.write(chunk);
            Wav wav = Wav.read(file);
            assertEquals(7, wav.format(), "WAVE_FORMAT_MULAW");
            assertEquals(8, wav.bits());
            assertEquals(8000, wav.rate());
            assertTrue(sent.size() - wav.data().length <= 1, "at most one byte held back, to keep the chunk even");
        }
        byte[] last = sent.size() % 2 == 0 ? new byte[] {1, 2, 3} : new byte[] {1, 2}; // an odd total
        session.appendAudio("caller", last);
        sent.write(last);
        session.close(null);
        Wav wav = Wav.read(file);
        assertArrayEquals(sent.toByteArray(), wav.data());
        assertEquals((long) sent.size(), wav.factFrames());
    }

    @Test
    void twoChannelsAreInterleavedOneWavChannelEachInTheSessionsOrder() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 8000, "pcm16");
        Path file = session.folder().resolve("audio.wav");
        int frames = 8000;
        byte[] customer = pcm(1, frames, 1);   // 1, 2, 3, ...
        byte[] agent = pcm(-1, frames, -1);    // -1, -2, -3, ...
        int c = 0;
        int a = 0;
        Random random = new Random(11);
        while (c < customer.length || a < agent.length) {
            // The two channels arrive in frames of different sizes, in no fixed turn, within 1 s of each other.
            if (a >= agent.length || (c < customer.length && random.nextBoolean())) {
                int n = Math.min(customer.length - c, 1 + random.nextInt(700));
                session.appendAudio("customer", Arrays.copyOfRange(customer, c, c + n));
                c += n;
            } else {
                int n = Math.min(agent.length - a, 1 + random.nextInt(700));
                session.appendAudio("agent", Arrays.copyOfRange(agent, a, a + n));
                a += n;
            }
            Wav wav = Wav.read(file);
            assertEquals(2, wav.channels());
            assertEquals(4, wav.blockAlign());
            assertEquals(Math.min(c / 2, a / 2), wav.data().length / 4, "frames written as both channels have them");
        }
        session.close(null);
        Wav wav = Wav.read(file);
        assertEquals(frames, wav.data().length / 4);
        for (int f = 0; f < frames; f++) {
            assertEquals((short) (f + 1), wav.sample(f, 0), "customer is channel 0");
            assertEquals((short) (-f - 1), wav.sample(f, 1), "agent is channel 1");
        }
    }

    @Test
    void aChannelThatLagsMoreThanASecondIsPaddedWithSilence() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 8000, "mulaw");
        Path file = session.folder().resolve("audio.wav");
        byte[] tone = new byte[160]; // 20 ms of mu-law
        Arrays.fill(tone, (byte) 0x10);
        for (int i = 0; i < 150; i++) { // 3 s of customer, nothing from the agent (muted)
            session.appendAudio("customer", tone);
            Wav wav = Wav.read(file);
            int received = (i + 1) * 160;
            assertTrue(wav.data().length / 2 >= received - 8000, "at most 1 s held back: " + wav.data().length);
        }
        Wav wav = Wav.read(file);
        assertEquals(7, wav.format());
        assertEquals(2 * (150 * 160 - 8000), wav.data().length);
        for (int f = 0; f < wav.data().length / 2; f++) {
            assertEquals(0x10, wav.data()[2 * f]);
            assertEquals((byte) 0xFF, wav.data()[2 * f + 1], "mu-law silence in the agent's channel");
        }
        session.appendAudio("agent", new byte[] {0x20, 0x20});
        session.close(null);
        wav = Wav.read(file);
        assertEquals(2 * 150 * 160, wav.data().length, "close pads the shorter channel to the longer");
        int firstAgentFrame = 150 * 160 - 8000;
        assertEquals(0x20, wav.data()[2 * firstAgentFrame + 1], "the agent's audio follows the padding");
        assertEquals((byte) 0xFF, wav.data()[wav.data().length - 1]);
    }

    @Test
    void aGapLongerThanTheLagLimitIsSilenceOnEveryChannelExactlyOnce() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 8000, "mulaw");
        Path file = session.folder().resolve("audio.wav");
        byte[] customer = new byte[1000];
        byte[] agent = new byte[1000];
        Arrays.fill(customer, (byte) 0x10);
        Arrays.fill(agent, (byte) 0x20);
        session.appendAudio("customer", customer);
        session.appendAudio("agent", agent);
        session.appendSilence(null, 20_000);   // 2.5 s, more than the second a channel may lag
        assertEquals(2 * 21_000, Wav.read(file).data().length, "written as it comes, whole frames only");
        session.appendAudio("agent", agent);
        session.appendAudio("customer", customer);
        session.close(null);
        byte[] data = Wav.read(file).data();
        assertEquals(2 * 22_000, data.length, "1000 + 20000 + 1000 frames: the gap counted once per channel");
        for (int f = 0; f < 22_000; f++) {
            boolean gap = f >= 1000 && f < 21_000;
            assertEquals(gap ? (byte) 0xFF : 0x10, data[2 * f], "customer at frame " + f);
            assertEquals(gap ? (byte) 0xFF : 0x20, data[2 * f + 1], "agent at frame " + f);
        }
    }

    @Test
    void aChannelThatJoinsLateStartsWhereItsGapSaysThoughTheLagPaddingCameFirst() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 8000, "mulaw");
        byte[] customer = new byte[160];
        Arrays.fill(customer, (byte) 0x10);
        for (int i = 0; i < 150; i++) {
            session.appendAudio("customer", customer);   // 3 s alone: the agent's channel is padded as it lags
        }
        session.appendSilence("agent", 150 * 160);        // the agent's leg joins: it missed those 3 s
        byte[] agent = new byte[160];
        Arrays.fill(agent, (byte) 0x20);
        session.appendAudio("agent", agent);
        session.appendAudio("customer", customer);
        session.close(null);
        byte[] data = Wav.read(session.folder().resolve("audio.wav")).data();
        assertEquals(2 * 151 * 160, data.length);
        for (int f = 0; f < 151 * 160; f++) {
            assertEquals(f < 150 * 160 ? (byte) 0xFF : 0x20, data[2 * f + 1], "agent at frame " + f);
        }
    }

    @Test
    void aGapAfterASplitSampleCompletesItAndKeepsTheTimeline() throws IOException {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("speaker"), 16000, "pcm16");
        session.appendAudio("speaker", new byte[] {1, 0, 7});   // a sample and a half
        session.appendSilence(null, 4);
        session.appendAudio("speaker", new byte[] {5, 0});
        session.close(null);
        assertArrayEquals(new byte[] {1, 0, 7, 0, 0, 0, 0, 0, 5, 0}, Wav.read(session.folder().resolve("audio.wav")).data());
    }

    @Test
    void audioFromSeveralThreadsKeepsEachChannelInOrder() throws Exception {
        SessionArchive session = new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 16000, "pcm16");
        int frames = 16000;
        Thread customer = new Thread(() -> {
            for (int i = 0; i < frames; i += 320) {
                session.appendAudio("customer", pcm(i, 320, 1));
            }
        });
        Thread agent = new Thread(() -> {
            for (int i = 0; i < frames; i += 320) {
                session.appendAudio("agent", pcm(-i, 320, -1));
            }
        });
        customer.start();
        agent.start();
        customer.join();
        agent.join();
        session.close(null);
        Wav wav = Wav.read(session.folder().resolve("audio.wav"));
        // One second in all: neither thread can run more than a second ahead, so nothing is padded.
        assertEquals(frames, wav.data().length / 4);
        for (int f = 0; f < frames; f++) {
            assertEquals((short) f, wav.sample(f, 0));
            assertEquals((short) -f, wav.sample(f, 1));
        }
    }
}
