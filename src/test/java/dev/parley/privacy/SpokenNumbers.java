package dev.parley.privacy;

import dev.parley.audio.G711;
import dev.parley.audio.Pcm16;
import dev.parley.audio.Resampler;
import dev.parley.testing.WavFile;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A caller saying a card number and a phone number, as eSpeak NG speaks it, at 16 kHz mono PCM16:
 * sentences with a quiet second between them, and where each sentence lies in the audio.
 */
final class SpokenNumbers {

    static final String CARD = "4556737586149963";
    static final String PHONE = "5551234567";
    static final List<String> SENTENCES = List.of(
            "hello i would like to pay my bill",
            "my card number is four five five six seven three seven five eight six one four nine nine six three",
            "and my phone number is five five five one two three four five six seven",
            "thank you very much");
    static final int RATE = 16000;

    /** Each sentence's place in {@link #pcm}, in bytes. */
    record Span(int from, int to) {
    }

    final byte[] pcm;
    final List<Span> sentences;

    private SpokenNumbers(byte[] pcm, List<Span> sentences) {
        this.pcm = pcm;
        this.sentences = sentences;
    }

    static SpokenNumbers render() throws Exception {
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
