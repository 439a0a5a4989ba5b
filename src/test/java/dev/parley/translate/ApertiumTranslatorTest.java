package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded engine against the real Apertium pairs installed here (apertium-eng-spa, apertium-eng-cat). */
class ApertiumTranslatorTest {

    private static final Path MODES = ApertiumTranslator.DEFAULT_MODES_DIR;
    private static final List<String> ENGLISH = List.of(
            "he was not an ill disposed young man",
            "The weather is nice today.",
            "I would like to book a table for two people tomorrow evening.",
            "Please call Zorbex about ticket #42 [urgent] at 5 <pm> or a/b ~ c");

    private static final Map<String, String> expected = new HashMap<>();
    private static ApertiumTranslator translator;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isRegularFile(MODES.resolve("eng-spa.mode")), "apertium-eng-spa is not installed");
        translator = new ApertiumTranslator(MODES, 2, Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (translator != null) {
            translator.close();
        }
    }

    /**
     * What the real Apertium gives, one process chain per sentence: the {@code apertium} wrapper with
     * {@code -u}, which runs the same mode with the generator's {@code -n} (no unknown-word marks).
     */
    private static synchronized String reference(String mode, String text) throws Exception {
        String key = mode + "\n" + text;
        if (!expected.containsKey(key)) {
            Process p = new ProcessBuilder("apertium", "-u", "-d", "/usr/share/apertium", mode)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0, "apertium " + mode + " failed");
            expected.put(key, out);
        }
        return expected.get(key);
    }

    private static String translate(String text, String from, String to) throws Exception {
        return translator.translate(text, from, to).get(20, TimeUnit.SECONDS);
    }

    @Test
    void englishToSpanishEqualsTheApertiumCommandSentenceBySentence() throws Exception {
        for (String sentence : ENGLISH) {
            assertEquals(reference("eng-spa", sentence), translate(sentence, "en", "es"), sentence);
        }
        assertEquals("No fue un hombre joven colocado enfermo", translate(ENGLISH.get(0), "en", "es"));
    }

    @Test
    void englishToCatalanEqualsTheApertiumCommandSentenceBySentence() throws Exception {
        assumeTrue(Files.isRegularFile(MODES.resolve("eng-cat.mode")), "apertium-eng-cat is not installed");
        for (String sentence : ENGLISH) {
            assertEquals(reference("eng-cat", sentence), translate(sentence, "en", "ca"), sentence);
        }
    }

    @Test
    void spanishToEnglishAcceptsIso3AndRegionCodes() throws Exception {
        String text = "Me gustaría reservar una mesa para dos personas.";
        assertEquals(reference("spa-eng", text), translate(text, "spa", "en-US"));
    }

    @Test
    void unknownWordsComeOutWithoutMarksAndTheCallersOwnSymbolsSurvive() throws Exception {
        String out = translate("Please call Zorbex about ticket #42 now", "en", "es");
        assertTrue(out.contains("Zorbex") && !out.contains("*Zorbex"), out);
        assertTrue(out.contains("#42"), out);
    }

    @Test
    void pairsListTheInstalledPlainModesInIso6391() {
        Map<String, ? extends java.util.Set<String>> pairs = translator.pairs();
        assertTrue(pairs.get("en").contains("es"), pairs.toString());
        assertTrue(pairs.get("es").contains("en"), pairs.toString());
        if (Files.isRegularFile(MODES.resolve("eng-cat.mode"))) {
            assertTrue(pairs.get("en").contains("ca"), pairs.toString());
            assertTrue(pairs.get("ca").contains("en"), pairs.toString());
        }
        pairs.forEach((from, targets) -> {
            assertEquals(2, from.length(), "variants such as eng-cat_valencia are left out: " + pairs);
            targets.forEach(to -> assertEquals(2, to.length(), pairs.toString()));
        });
    }

    @Test
    void aWarmPipelineAnswersFast() throws Exception {
        String english = "I would like to book a table for two people tomorrow evening, "
                + "and could you tell me whether the restaurant has a vegetarian menu?";
        String spanish = "Me gustaría reservar una mesa para dos personas mañana por la tarde.";
        for (String[] pair : new String[][] {{"en", "es", "eng-spa"}, {"en", "ca", "eng-cat"}, {"es", "en", "spa-eng"}}) {
            if (!translator.pairs().getOrDefault(pair[0], java.util.Set.of()).contains(pair[1])) {
                continue;
            }
            String text = pair[0].equals("en") ? english : spanish;
            translate(text, pair[0], pair[1]); // warm (or cold, when first)
            long[] micros = new long[30];
            for (int i = 0; i < micros.length; i++) {
                long t0 = System.nanoTime();
                translate(text, pair[0], pair[1]);
                micros[i] = (System.nanoTime() - t0) / 1_000;
            }
            Arrays.sort(micros);
            long t0 = System.nanoTime();
            expected.remove(pair[2] + "\n" + text);
            reference(pair[2], text);
            long perProcess = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("apertium %s-%s warm, %d words: median %.1f ms, p90 %.1f ms, max %.1f ms over %d calls;"
                    + " one apertium process per sentence: %d ms%n", pair[0], pair[1], text.split(" ").length,
                    micros[micros.length / 2] / 1000.0, micros[micros.length * 9 / 10] / 1000.0,
                    micros[micros.length - 1] / 1000.0, micros.length, perProcess);
            assertTrue(micros[micros.length / 2] < 2_000_000, "median " + micros[micros.length / 2] + " us");
        }
    }

    @Test
    void coldStartOfAPairIsMeasured() throws Exception {
        try (ApertiumTranslator fresh = new ApertiumTranslator(MODES, 1, Duration.ofSeconds(20))) {
            for (String[] pair : new String[][] {{"en", "es"}, {"en", "ca"}}) {
                if (!fresh.pairs().getOrDefault(pair[0], java.util.Set.of()).contains(pair[1])) {
                    continue;
                }
                long t0 = System.nanoTime();
                String out = fresh.translate("Good morning.", pair[0], pair[1]).get(20, TimeUnit.SECONDS);
                System.out.printf("apertium %s-%s cold start + first sentence: %d ms (%s)%n",
                        pair[0], pair[1], (System.nanoTime() - t0) / 1_000_000, out);
            }
        }
    }

    @Test
    void concurrentCallsOnOnePairEachGetTheirOwnSentence() throws Exception {
        List<CompletableFuture<String>> results = new ArrayList<>();
        List<String> asked = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String sentence = ENGLISH.get(i % ENGLISH.size());
            asked.add(sentence);
            results.add(translator.translate(sentence, "en", "es"));
        }
        for (int i = 0; i < results.size(); i++) {
            assertEquals(reference("eng-spa", asked.get(i)), results.get(i).get(30, TimeUnit.SECONDS), asked.get(i));
        }
    }

    @Test
    void aKilledPipelineProcessIsRestarted() throws Exception {
        try (ApertiumTranslator one = new ApertiumTranslator(MODES, 1, Duration.ofSeconds(10))) {
            String text = ENGLISH.get(0);
            assertEquals(reference("eng-spa", text), one.translate(text, "en", "es").get(20, TimeUnit.SECONDS));
            List<Long> before = one.pipelinePids("en", "es");
            assertTrue(before.size() > 3, before.toString());
            ProcessHandle victim = ProcessHandle.of(before.get(3)).orElseThrow(); // a program mid-pipeline
            victim.destroyForcibly();
            victim.onExit().get(5, TimeUnit.SECONDS);

            assertEquals(reference("eng-spa", text), one.translate(text, "en", "es").get(20, TimeUnit.SECONDS));
            List<Long> after = one.pipelinePids("en", "es");
            assertEquals(before.size(), after.size());
            assertNotEquals(before, after);
            for (long pid : before) {
                ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
            }
        }
    }

    @Test
    void anUnknownPairFailsWithATranslationException() {
        CompletableFuture<String> result = translator.translate("hello", "en", "xx");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> result.get(5, TimeUnit.SECONDS));
        assertInstanceOf(TranslationException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("en to xx"), e.getCause().getMessage());
    }

    @Test
    void blankTextAndSameLanguageNeedNoPipeline() throws Exception {
        assertEquals("", translate("  ", "en", "es"));
        assertEquals("hello", translate("hello", "en", "en"));
    }

    @Test
    void aPipelineThatNeverAnswersTimesOutWithATranslationException(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // tail -z -f /dev/null reads nothing and never writes: a pipeline stuck for good.
        Files.writeString(dir.resolve("eng-spa.mode"), "tail -f /dev/null\n");
        try (ApertiumTranslator stuck = new ApertiumTranslator(dir, 1, Duration.ofMillis(300))) {
            long t0 = System.nanoTime();
            try {
                stuck.translate("hello", "en", "es").get(5, TimeUnit.SECONDS);
                fail("a stuck pipeline answered");
            } catch (ExecutionException e) {
                assertInstanceOf(TranslationException.class, e.getCause());
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, ms + " ms");
        }
    }

    @Test
    void onlyPlainPairModesAreDiscovered(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        for (String name : List.of("eng-spa.mode", "spa-eng_US.mode", "eng-cat_valencia.mode", "xyz-abc.mode",
                "eng-spa-anmor.mode", "README")) {
            Files.writeString(dir.resolve(name), "lt-proc '/nowhere.bin'\n");
        }
        Files.writeString(dir.resolve("fra-eng.mode"), "lt-proc x > /tmp/out\n"); // needs a shell: skipped
        try (ApertiumTranslator t = new ApertiumTranslator(dir, 1, Duration.ofSeconds(1))) {
            assertEquals(Map.of("en", java.util.Set.of("es")), t.pairs());
        }
    }
}
