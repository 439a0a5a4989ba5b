package dev.parley.tts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real eSpeak NG processes; no mocks. */
class EspeakSynthesizerTest {

    static final String SPANISH = "Buenos días, le habla el servicio de traducción. ¿En qué puedo ayudarle hoy?";
    static final String CATALAN = "Bon dia, us parla el servei de traducció. En què us puc ajudar avui?";

    static EspeakSynthesizer espeak;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        espeak = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults().withThreads(2, 100));
    }

    @AfterAll
    static void stop() {
        espeak.close();
    }

    /** Duration of what the CLI writes to a file with {@code -w} for the same voice and text (text as one argv entry). */
    long cliFileDurationMillis(String voice, String text) throws Exception {
        Path file = tmp.resolve("cli-" + System.nanoTime() + ".wav");
        Process p = new ProcessBuilder("espeak-ng", "-v", voice, "-w", file.toString(), "--", text)
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        WavInfo info = WavInfo.parse(Files.readAllBytes(file));
        assertTrue(info.sizesConsistent(), "espeak-ng -w writes true sizes");
        return info.durationMillis();
    }

    static void assertValidMonoPcm16(Speech speech) {
        WavInfo info = WavInfo.parse(speech.wav());
        assertTrue(info.isMonoPcm16());
        assertTrue(info.sizesConsistent(), "header sizes must match the data (eSpeak's --stdout placeholders fixed)");
        assertEquals(WavInfo.CANONICAL_HEADER_BYTES, info.dataOffset());
        assertEquals(speech.wav().length - 8L, Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(speech.wav(), 4, 4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt()));
        assertEquals(EspeakSynthesizer.SAMPLE_RATE, info.sampleRate());
        assertEquals(EspeakSynthesizer.SAMPLE_RATE, speech.sampleRate());
        assertEquals(info.durationMillis(), speech.durationMillis());
        assertTrue(speech.durationMillis() > 0);
    }

    static SynthesisException failure(CompletableFuture<Speech> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return assertInstanceOf(SynthesisException.class, e.getCause());
    }

    static void assertWithinFivePercent(long expected, long actual) {
        assertTrue(Math.abs(actual - expected) <= expected * 0.05,
                "duration " + actual + " ms should be within 5% of the CLI's " + expected + " ms");
    }

    @Test
    void speaksSpanishAsValidWavAsLongAsTheCliWritesToAFile() throws Exception {
        Speech speech = espeak.speak(SPANISH, "es").get(15, TimeUnit.SECONDS);
        assertValidMonoPcm16(speech);
        assertWithinFivePercent(cliFileDurationMillis("es", SPANISH), speech.durationMillis());
    }

    @Test
    void speaksCatalanAsValidWavAsLongAsTheCliWritesToAFile() throws Exception {
        Speech speech = espeak.speak(CATALAN, "ca").get(15, TimeUnit.SECONDS);
        assertValidMonoPcm16(speech);
        assertWithinFivePercent(cliFileDurationMillis("ca", CATALAN), speech.durationMillis());
    }

    @Test
    void printsSynthesisTimeOfAboutTwoAndAHalfSecondsOfSpeech() throws Exception {
        String text = "Hola, le llamamos por su pedido de ayer.";
        espeak.speak(text, "es").get(15, TimeUnit.SECONDS); // warm the page cache
        int runs = 10;
        long total = 0;
        long max = 0;
        Speech speech = null;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            speech = espeak.speak(text, "es").get(15, TimeUnit.SECONDS);
            long took = System.nanoTime() - t0;
            total += took;
            max = Math.max(max, took);
        }
        System.out.printf("[tts] espeak-ng CLI (one process per utterance, 175 wpm, es): %d ms of audio in %.1f ms"
                + " mean, %.1f ms max over %d runs%n", speech.durationMillis(), total / runs / 1e6, max / 1e6, runs);
        assertTrue(speech.durationMillis() > 2000 && speech.durationMillis() < 3000, "about 2.5 s: " + speech.durationMillis());
    }

    @Test
    void languagesAreTheInstalledVoicesAsIso6391Codes() {
        assertTrue(espeak.languages().containsAll(List.of("en", "es", "ca", "fr", "de", "it", "pt")), espeak.languages().toString());
        assertTrue(espeak.languages().stream().allMatch(l -> l.matches("[a-z]{2}")), espeak.languages().toString());
        assertEquals("en-us", espeak.voiceFor("en-US"));
        assertEquals("es", espeak.voiceFor("es-ES"));
    }

    @Test
    void voiceOverrideAddsALanguageThatHasNoInstalledVoice() throws Exception {
        assertFalse(espeak.languages().contains("gl"), "no Galician voice in eSpeak NG 1.51");
        try (EspeakSynthesizer withGalician = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults()
                .withVoices(Map.of("gl", "pt")).withThreads(1, 10))) {
            assertTrue(withGalician.languages().contains("gl"));
            assertValidMonoPcm16(withGalician.speak("Bos días, como estás?", "gl").get(15, TimeUnit.SECONDS));
        }
    }

    @Test
    void unknownVoiceOverrideIsRefusedAtStartNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EspeakSynthesizer(
                EspeakSynthesizer.Settings.defaults().withVoices(Map.of("gl", "roa/gl"))));
        assertTrue(e.getMessage().contains("parley.tts.espeak.voice.gl"), e.getMessage());
        assertTrue(e.getMessage().contains("PARLEY_TTS_ESPEAK_VOICE_GL"), e.getMessage());
    }

    @Test
    void concurrentRequestsAllSucceed() throws Exception {
        List<CompletableFuture<Speech>> all = new ArrayList<>();
        String[][] inputs = {{SPANISH, "es"}, {CATALAN, "ca"}, {"Good morning, how can I help?", "en"},
                {"Bonjour, comment allez-vous ?", "fr"}};
        for (int i = 0; i < 16; i++) {
            all.add(espeak.speak(inputs[i % 4][0], inputs[i % 4][1]));
        }
        for (CompletableFuture<Speech> f : all) {
            assertValidMonoPcm16(f.get(30, TimeUnit.SECONDS));
        }
        for (int i = 4; i < all.size(); i++) {
            assertEquals(all.get(i % 4).join().durationMillis(), all.get(i).join().durationMillis(),
                    "same text, same audio, whatever the concurrency");
        }
    }

    @Test
    void unknownLanguageFailsNamingTheLanguagesAvailable() {
        SynthesisException e = failure(espeak.speak("Hello", "xx"));
        assertTrue(e.getMessage().contains("'xx'"), e.getMessage());
        assertTrue(e.getMessage().contains("es, et") && e.getMessage().contains("ca"), e.getMessage());
        assertTrue(failure(espeak.speak("Hello", "; rm -rf /")).getMessage().contains("Not a language code"));
        assertTrue(failure(espeak.speak("Hello", null)).getMessage().contains("No language"));
    }

    @Test
    void blankTextFailsClearly() {
        for (String blank : new String[] {"", "   ", "\n\t", null}) {
            SynthesisException e = failure(espeak.speak(blank, "es"));
            assertTrue(e.getMessage().contains("empty"), e.getMessage());
        }
        assertTrue(failure(espeak.speak("a".repeat(4097), "es")).getMessage().contains("too long"));
    }

    @Test
    void shellMetacharactersAndQuotesAreSpokenLiterally() throws Exception {
        Path marker = tmp.resolve("pwned");
        String text = "-v xx --stdout \"quoted\" 'single' $(touch " + marker + ") `touch " + marker + "`; touch "
                + marker + " && echo $HOME | cat > " + marker + " <b>bold</b>";
        Speech speech = espeak.speak(text, "en").get(15, TimeUnit.SECONDS);
        assertValidMonoPcm16(speech);
        assertFalse(Files.exists(marker), "no shell ran the text");
        // The whole text was spoken, as the CLI speaks it when given as one literal argument after "--".
        assertWithinFivePercent(cliFileDurationMillis("en", text), speech.durationMillis());
    }

    @Test
    void phonemeMarkupIsReadAsTextNotAsPhonemes() throws Exception {
        // eSpeak reads [[...]] as phoneme mnemonics; user text must not switch modes.
        assertEquals("[ [h@l'oU]]", EspeakSynthesizer.literal("[[h@l'oU]]"));
        Speech asText = espeak.speak("[[h@l'oU]]", "en").get(15, TimeUnit.SECONDS);
        assertWithinFivePercent(cliFileDurationMillis("en", "[ [h@l'oU]]"), asText.durationMillis());
    }

    @Test
    void fasterWordsPerMinuteGiveShorterAudio() throws Exception {
        try (EspeakSynthesizer fast = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults().withWordsPerMinute(350)
                .withThreads(1, 10))) {
            long slow = espeak.speak(SPANISH, "es").get(15, TimeUnit.SECONDS).durationMillis();
            long quick = fast.speak(SPANISH, "es").get(15, TimeUnit.SECONDS).durationMillis();
            assertTrue(quick < slow * 0.7, quick + " ms at 350 wpm vs " + slow + " ms at 175");
        }
    }

    @Test
    void timeoutFailsWithSynthesisException() throws IOException {
        try (EspeakSynthesizer hurried = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults()
                .withTimeout(Duration.ofMillis(1)).withThreads(1, 10))) {
            SynthesisException e = failure(hurried.speak(SPANISH.repeat(20), "es"));
            assertTrue(e.getMessage().contains("timed out after 1 ms"), e.getMessage());
        }
    }

    @Test
    void closedSynthesizerFailsNewAndPendingRequests() {
        EspeakSynthesizer closing = new EspeakSynthesizer(EspeakSynthesizer.Settings.defaults().withThreads(1, 10));
        List<CompletableFuture<Speech>> pending = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pending.add(closing.speak(SPANISH.repeat(10), "es"));
        }
        closing.close();
        for (CompletableFuture<Speech> f : pending) {
            assertTrue(f.isDone(), "no request is left hanging by close()");
        }
        assertTrue(failure(closing.speak("Hola", "es")).getMessage().contains("closed"));
    }
}
