package dev.parley.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.audio.Resampler;
import dev.parley.testing.WavFile;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A caller saying a card number and a phone number, as eSpeak NG speaks it, at 16 kHz mono PCM16:
 * sentences with a quiet second between them, and where each sentence lies in the audio.
 */
public final class SpokenNumbers {

    public static final String CARD = "4556737586149963";
    public static final String PHONE = "5551234567";
    static final List<String> SENTENCES = List.of(
            "hello i would like to pay my bill",
            "my card number is four five five six seven three seven five eight six one four nine nine six three",
            "and my phone number is five five five one two three four five six seven",
            "thank you very much");
    public static final int RATE = 16000;

    /** Each sentence's place in {@link #pcm}, in bytes. */
    record Span(int from, int to) {
    }

    public final byte[] pcm;
    final List<Span> sentences;

    private SpokenNumbers(byte[] pcm, List<Span> sentences) {
        this.pcm = pcm;
        this.sentences = sentences;
    }

    public static SpokenNumbers render() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Span> spans = new ArrayList<>();
        out.writeBytes(WavFile.quiet(RATE, 500));
        for (String sentence : SENTENCES) {
            byte[] speech = speak(sentence);
            spans.add(new Span(out.size(), out.size() + speech.length));
            out.writeBytes(speech);
            out.writeBytes(WavFile.quiet(RATE, 1200));
        }
        return new SpokenNumbers(out.toByteArray(), spans);
    }

    /** The speech as a telephone carries it: resampled to 8 kHz, mu-law. */
    byte[] mulaw8k() {
        short[] in = Pcm16.littleEndianToShorts(pcm, 0, pcm.length);
        Resampler resampler = new Resampler(RATE, 8000);
        short[] out = resampler.process(in, 0, in.length);
        return G711.encode(out, 0, out.length);
    }

    /** eSpeak NG's rendering (22050 Hz) resampled to 16 kHz. */
    private static byte[] speak(String text) throws Exception {
        Path wav = Files.createTempFile("spoken", ".wav");
        try {
            Process p = new ProcessBuilder("espeak-ng", "-v", "en-us", "-s", "150", "-w", wav.toString(), text).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("espeak-ng failed");
            }
            WavFile file = WavFile.read(wav);
            short[] in = Pcm16.littleEndianToShorts(file.pcm(), 0, file.pcm().length);
            Resampler resampler = new Resampler(file.sampleRate(), RATE);
            short[] body = resampler.process(in, 0, in.length);
            short[] tail = resampler.process(new short[resampler.delay() * 2 + 64], 0, resampler.delay() * 2 + 64);
            short[] all = new short[body.length + tail.length - resampler.delay()];
            System.arraycopy(body, resampler.delay(), all, 0, body.length - resampler.delay());
            System.arraycopy(tail, 0, all, body.length - resampler.delay(), tail.length);
            return Pcm16.shortsToLittleEndian(all, 0, all.length);
        } finally {
            Files.deleteIfExists(wav);
        }
    }

    /**
     * Every digit a text holds, number words read as digits ("four five" is 45): to look for any
     * stretch of a number in what Parley wrote.
     */
    static String digitsIn(String text) {
        StringBuilder digits = new StringBuilder();
        List<String> words = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
        List<String> spanish = List.of("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve");
        for (String token : text.toLowerCase().split("[^\\p{L}\\d]+")) {
            if (token.matches("\\d+")) {
                digits.append(token);
            } else if (words.contains(token)) {
                digits.append(words.indexOf(token));
            } else if (spanish.contains(token)) {
                digits.append(spanish.indexOf(token));
            } else if (token.equals("oh")) {
                digits.append('0');
            }
        }
        return digits.toString();
    }

    /**
     * {@code audio.wav}'s samples are what was sent but for the redacted words' spans (the finals'
     * {@code redactions}), which are silent (0); and those spans cover at least half the card's
     * sentence (its digits are most of it). Prints the figures.
     */
    public void assertMaskedOnlyWhereRedacted(byte[] archived, List<JsonNode> finals) {
        assertEquals(pcm.length, archived.length, "audio.wav holds all the audio sent");
        boolean[] masked = new boolean[archived.length / 2];
        long maskedMs = 0;
        for (JsonNode f : finals) {
            for (JsonNode r : f.path("redactions")) {
                int from = (int) (r.path("audio_start_ms").asLong() * RATE / 1000);
                int to = (int) Math.min(masked.length, r.path("audio_end_ms").asLong() * RATE / 1000);
                assertTrue(to > from, "no audio span in " + r);
                java.util.Arrays.fill(masked, from, to, true);
                maskedMs += r.path("audio_end_ms").asLong() - r.path("audio_start_ms").asLong();
            }
        }
        int identical = 0;
        int silent = 0;
        int maskedSamples = 0;
        for (int i = 0; i < masked.length; i++) {
            short sent = (short) ((pcm[2 * i] & 0xff) | pcm[2 * i + 1] << 8);
            short kept = (short) ((archived[2 * i] & 0xff) | archived[2 * i + 1] << 8);
            if (masked[i]) {
                maskedSamples++;
                silent += kept == 0 ? 1 : 0;
            } else {
                identical += kept == sent ? 1 : 0;
            }
        }
        Span card = sentences.get(1);
        long cardMs = (card.to() - card.from()) / 2 * 1000L / RATE;
        System.out.printf("audio.wav: %d ms masked (the card's sentence is %d ms); %d of %d masked samples at 0,"
                + " %d of %d other samples identical to what was sent%n", maskedMs, cardMs, silent, maskedSamples,
                identical, masked.length - maskedSamples);
        assertEquals(maskedSamples, silent, "masked samples that are not silent");
        assertEquals(masked.length - maskedSamples, identical, "samples changed outside the redacted spans");
        assertTrue(maskedMs >= cardMs / 2, maskedMs + " ms masked of a " + cardMs + " ms sentence of digits");
    }

    private static final String NUMBER = "\\b(?:\\d+|zero|one|two|three|four|five|six|seven|eight|nine|oh)\\b";
    private static final Pattern NUMBER_RUN = Pattern.compile("(?i)" + NUMBER + "(?:[\\s-]+" + NUMBER + ")*");

    /**
     * True if a file's text holds 6 consecutive digits of {@code number} in one run of digits or number
     * words (spaces and dashes between them): a check for any file, whose ids, times and sizes hold
     * digits of their own that {@link #leaks} would join.
     */
    public static boolean leaksInFile(String text, String number) {
        Matcher m = NUMBER_RUN.matcher(text);
        while (m.find()) {
            String digits = digitsIn(m.group());
            for (int i = 0; i + 6 <= number.length(); i++) {
                if (digits.contains(number.substring(i, i + 6))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True if {@code text} holds any 4 consecutive digits of {@code number}, in digits or in words. */
    static boolean leaks(String text, String number) {
        String digits = digitsIn(text);
        for (int i = 0; i + 4 <= number.length(); i++) {
            if (digits.contains(number.substring(i, i + 4))) {
                return true;
            }
        }
        return false;
    }
}
