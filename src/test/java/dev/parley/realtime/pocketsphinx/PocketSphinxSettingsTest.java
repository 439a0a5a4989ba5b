package dev.parley.realtime.pocketsphinx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings need no native code: these run without libpocketsphinx. */
class PocketSphinxSettingsTest {

    private static PocketSphinxSettings from(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(PocketSphinxSettings.PREFIX + keyValues[i], keyValues[i + 1]);
        }
        return PocketSphinxSettings.fromProperties(m::get);
    }

    private static String error(String... keyValues) {
        return assertThrows(IllegalArgumentException.class, () -> from(keyValues)).getMessage();
    }

    private static String arg(PocketSphinxSettings s, String name) {
        List<String> a = Arrays.asList(s.toArgs());
        int i = a.indexOf(name);
        assertTrue(i >= 0 && i % 2 == 0, name + " in " + a);
        return a.get(i + 1);
    }

    @Test
    void defaultsArePocketSphinxsOwnWithTheDebianModelAndHalfASecondEndpoint() {
        PocketSphinxSettings s = from();
        assertEquals(PocketSphinxSettings.defaults(), s);
        assertEquals("/usr/share/pocketsphinx/model/en-us/en-us", arg(s, "-hmm"));
        assertEquals("/usr/share/pocketsphinx/model/en-us/en-us.lm.bin", arg(s, "-lm"));
        assertEquals("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", arg(s, "-dict"));
        assertEquals("1.0e-48", arg(s, "-beam"));
        assertEquals("7.0e-29", arg(s, "-wbeam"));
        assertEquals("1.0e-48", arg(s, "-pbeam"));
        assertEquals("6.5", arg(s, "-lw"));
        assertEquals("30000", arg(s, "-maxhmmpf"));
        assertEquals("no", arg(s, "-fwdflat"));
        assertEquals("yes", arg(s, "-bestpath"));
        assertEquals("5", arg(s, "-pl_window"));
        assertEquals("50", arg(s, "-vad_postspeech"));
        assertEquals("10", arg(s, "-vad_startspeech"));
        assertEquals("20", arg(s, "-vad_prespeech"));
        assertEquals("2", arg(s, "-vad_threshold"));
        assertEquals("16000", arg(s, "-samprate"));
        assertEquals(500, s.endpointSilenceMs());
        assertEquals(2, s.poolSize());
        assertEquals(1, s.warmDecoders());
        assertNull(s.logFile());
        assertTrue(s.extraArgs().isEmpty());
        assertFalse(Arrays.asList(s.toArgs()).contains("-logfn"), "logging is configured once, not per decoder");
    }

    @Test
    void propertiesInKebabCaseMapToDecoderArguments() {
        PocketSphinxSettings s = from("beam", "1e-40", "wbeam", "1e-20", "pbeam", "1e-30", "lw", "7",
                "maxhmmpf", "3000", "fwdflat", "no", "bestpath", "false", "pl-window", "10",
                "endpoint-silence-ms", "805", "vad-threshold", "3.5", "pool-size", "4", "warm-decoders", "3",
                "extra-args", " -silprob 0.1   -wip 0.5 ");
        assertEquals("1.0e-40", arg(s, "-beam"));
        assertEquals("1.0e-20", arg(s, "-wbeam"));
        assertEquals("1.0e-30", arg(s, "-pbeam"));
        assertEquals("7", arg(s, "-lw"));
        assertEquals("3000", arg(s, "-maxhmmpf"));
        assertEquals("no", arg(s, "-fwdflat"));
        assertEquals("no", arg(s, "-bestpath"));
        assertEquals("10", arg(s, "-pl_window"));
        assertEquals("81", arg(s, "-vad_postspeech"), "805 ms rounds up to 81 frames of 10 ms");
        assertEquals("3.5", arg(s, "-vad_threshold"));
        assertEquals("0.1", arg(s, "-silprob"));
        assertEquals("0.5", arg(s, "-wip"));
        assertEquals(Map.of("-silprob", "0.1", "-wip", "0.5"), s.extraArgs());
        assertEquals(4, s.poolSize());
        assertEquals(3, s.warmDecoders());
        List<String> args = Arrays.asList(s.toArgs());
        assertEquals("-wip", args.get(args.size() - 2), "extra args come last");
        assertEquals(s, s.toBuilder().build());
    }

    @Test
    void blankPropertiesKeepTheDefaults() {
        assertEquals(PocketSphinxSettings.defaults(), from("beam", " ", "pool-size", ""));
    }

    @Test
    void invalidNumbersNameThePropertyAndTheAllowedRange() {
        String m = error("beam", "wide");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.beam") && m.contains("must be a number"), m);
        m = error("beam", "2");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.beam=2.0") && m.contains("at most 1"), m);
        m = error("pool-size", "0");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.pool-size=0") && m.contains("1 to 256"), m);
        m = error("pool-size", "two");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.pool-size") && m.contains("whole number"), m);
        m = error("pool-size", "2", "warm-decoders", "3");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.warm-decoders=3")
                && m.contains("raise parley.recognizer.pocketsphinx.pool-size"), m);
        m = error("endpoint-silence-ms", "20");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.endpoint-silence-ms=20") && m.contains("50 to 10000"), m);
        m = error("maxhmmpf", "5");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.maxhmmpf=5") && m.contains("-1"), m);
        m = error("pl-window", "-1");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.pl-window=-1"), m);
        m = error("lw", "0");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.lw"), m);
        m = error("fwdflat", "maybe");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.fwdflat") && m.contains("true or false"), m);
        m = error("vad-prespeech-ms", "50");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.vad-prespeech-ms=50")
                && m.contains("vad-start-speech-ms"), m);
    }

    @Test
    void missingModelFilesNameThePropertyAndWhatToPointItAt() {
        String m = error("model-dir", "/nonexistent/en-us");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.model-dir=/nonexistent/en-us")
                && m.contains("mdef") && m.contains("pocketsphinx-en-us"), m);
        m = error("model-dir", "/usr/share/pocketsphinx/model/en-us");
        assertTrue(m.contains("no readable mdef"), "a directory without mdef is not a model: " + m);
        m = error("lm", "/nonexistent/x.lm.bin");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.lm=/nonexistent/x.lm.bin") && m.contains("language model"), m);
        m = error("dict", "/usr/share/pocketsphinx/model/en-us");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.dict=") && m.contains("dictionary"), m);
    }

    @Test
    void extraArgsMayNotOverrideTypedSettingsOrTimingAndMustBePairs() {
        String m = error("extra-args", "-beam 1e-60");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.extra-args") && m.contains("-beam")
                && m.contains("set parley.recognizer.pocketsphinx.beam instead"), m);
        m = error("extra-args", "-vad_postspeech 30");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.endpoint-silence-ms"), m);
        m = error("extra-args", "-samprate 8000");
        assertTrue(m.contains("fixed by the recognizer"), m);
        m = error("extra-args", "-logfn /tmp/x");
        assertTrue(m.contains("parley.recognizer.pocketsphinx.log-file"), m);
        m = error("extra-args", "-silprob");
        assertTrue(m.contains("option/value pairs"), m);
        m = error("extra-args", "silprob 0.1");
        assertTrue(m.contains("must look like -name"), m);
        m = error("extra-args", "-wip 1 -wip 2");
        assertTrue(m.contains("given twice"), m);
    }
}
