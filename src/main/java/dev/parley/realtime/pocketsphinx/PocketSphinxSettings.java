package dev.parley.realtime.pocketsphinx;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Immutable configuration of the embedded PocketSphinx recognizer.
 *
 * <p>Search defaults are PocketSphinx 5prealpha's own ({@code -beam 1e-48 -wbeam 7e-29 -pbeam 1e-48
 * -lw 6.5 -maxhmmpf 30000 -bestpath yes -pl_window 5 -vad_threshold 2.0 -vad_startspeech 10
 * -vad_prespeech 20}) but for {@code -fwdflat no}: the flat-lexicon pass runs over the whole
 * utterance after its end of speech (80-250 ms for 2-7 s utterances here, on the way to every final)
 * and did not make streamed finals better: the benchmark's LibriVox WER is 0.279 without it, 0.321
 * with it (docs/benchmarks.md, "Decoder settings"). The endpoint silence defaults to 500 ms
 * ({@code -vad_postspeech 50}, also PocketSphinx's default). Models default to the Debian package
 * {@code pocketsphinx-en-us}. Pool: {@value #DEFAULT_POOL_SIZE} decoders at most (each ~90 MB of
 * native memory), {@value #DEFAULT_WARM_DECODERS} built at start.
 *
 * <p>Every setting has a property {@code parley.recognizer.pocketsphinx.<key>}, see
 * {@link #fromProperties(Function)}; validation errors name that property.
 */
public final class PocketSphinxSettings {

    /** Prefix of every property read by {@link #fromProperties(Function)}. */
    public static final String PREFIX = "parley.recognizer.pocketsphinx.";

    public static final Path DEFAULT_MODEL_DIR = Path.of("/usr/share/pocketsphinx/model/en-us/en-us");
    public static final Path DEFAULT_LM = Path.of("/usr/share/pocketsphinx/model/en-us/en-us.lm.bin");
    public static final Path DEFAULT_DICT = Path.of("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict");
    public static final double DEFAULT_BEAM = 1e-48;
    public static final double DEFAULT_WBEAM = 7e-29;
    public static final double DEFAULT_PBEAM = 1e-48;
    public static final double DEFAULT_LW = 6.5;
    public static final int DEFAULT_MAXHMMPF = 30000;
    public static final boolean DEFAULT_FWDFLAT = false;
    public static final boolean DEFAULT_BESTPATH = true;
    public static final int DEFAULT_PL_WINDOW = 5;
    public static final int DEFAULT_ENDPOINT_SILENCE_MS = 500;
    public static final double DEFAULT_VAD_THRESHOLD = 2.0;
    public static final int DEFAULT_VAD_START_SPEECH_MS = 100;
    public static final int DEFAULT_VAD_PRESPEECH_MS = 200;
    public static final int DEFAULT_POOL_SIZE = 2;
    public static final int DEFAULT_WARM_DECODERS = 1;
    /** Silence after which a stream gives its decoder back. */
    public static final int DEFAULT_RELEASE_AFTER_MS = 2000;

    /** Milliseconds per PocketSphinx frame (-frate 100). */
    static final int FRAME_MS = 10;

    /**
     * Options that must not appear in {@link #extraArgs()}: they are typed settings, or the stream's
     * timing and endpointing depend on them, or they change process-global state.
     */
    private static final Map<String, String> RESERVED = reserved();

    private final Path modelDir;
    private final Path lm;
    private final Path dict;
    private final double beam;
    private final double wbeam;
    private final double pbeam;
    private final double lw;
    private final int maxhmmpf;
    private final boolean fwdflat;
    private final boolean bestpath;
    private final int plWindow;
    private final int endpointSilenceMs;
    private final double vadThreshold;
    private final int vadStartSpeechMs;
    private final int vadPrespeechMs;
    private final int poolSize;
    private final int warmDecoders;
    private final int reservedForTrusted;
    private final int releaseAfterMs;
    private final String logFile;
    private final Map<String, String> extraArgs;

    private PocketSphinxSettings(Builder b) {
        this.modelDir = requireFile(b.modelDir, "model-dir", true, "mdef",
                "point it at an acoustic model directory (the one containing mdef, means, variances),"
                        + " e.g. " + DEFAULT_MODEL_DIR + " from the Debian package pocketsphinx-en-us");
        this.lm = requireFile(b.lm, "lm", false, null,
                "point it at an n-gram language model (.lm.bin or ARPA .lm), e.g. " + DEFAULT_LM);
        this.dict = requireFile(b.dict, "dict", false, null,
                "point it at a pronunciation dictionary, e.g. " + DEFAULT_DICT);
        this.beam = requireBeam(b.beam, "beam", DEFAULT_BEAM);
        this.wbeam = requireBeam(b.wbeam, "wbeam", DEFAULT_WBEAM);
        this.pbeam = requireBeam(b.pbeam, "pbeam", DEFAULT_PBEAM);
        if (!(b.lw > 0 && b.lw <= 100) || Double.isNaN(b.lw)) {
            throw invalid("lw", b.lw, "the language weight must be a number above 0 and at most 100"
                    + " (default " + DEFAULT_LW + ")");
        }
        this.lw = b.lw;
        if (b.maxhmmpf != -1 && b.maxhmmpf < 100) {
            throw invalid("maxhmmpf", b.maxhmmpf, "must be -1 (no limit) or at least 100"
                    + " (default " + DEFAULT_MAXHMMPF + "; 3000 is a common fast setting)");
        }
        this.maxhmmpf = b.maxhmmpf;
        this.fwdflat = b.fwdflat;
        this.bestpath = b.bestpath;
        if (b.plWindow < 0 || b.plWindow > 50) {
            throw invalid("pl-window", b.plWindow, "the phone lookahead window must be 0 (off) to 50 frames"
                    + " (default " + DEFAULT_PL_WINDOW + ")");
        }
        this.plWindow = b.plWindow;
        if (b.endpointSilenceMs < 50 || b.endpointSilenceMs > 10_000) {
            throw invalid("endpoint-silence-ms", b.endpointSilenceMs,
                    "the silence that ends an utterance must be 50 to 10000 ms (default "
                            + DEFAULT_ENDPOINT_SILENCE_MS + ")");
        }
        this.endpointSilenceMs = b.endpointSilenceMs;
        if (!(b.vadThreshold >= 0 && b.vadThreshold <= 20)) {
            throw invalid("vad-threshold", b.vadThreshold,
                    "must be a number from 0 to 20 (default " + DEFAULT_VAD_THRESHOLD
                            + "; raise it in noisy rooms)");
        }
        this.vadThreshold = b.vadThreshold;
        if (b.vadStartSpeechMs < FRAME_MS || b.vadStartSpeechMs > 2000) {
            throw invalid("vad-start-speech-ms", b.vadStartSpeechMs,
                    "the speech needed to start an utterance must be 10 to 2000 ms (default "
                            + DEFAULT_VAD_START_SPEECH_MS + ")");
        }
        this.vadStartSpeechMs = b.vadStartSpeechMs;
        if (b.vadPrespeechMs < b.vadStartSpeechMs || b.vadPrespeechMs > 5000) {
            throw invalid("vad-prespeech-ms", b.vadPrespeechMs,
                    "the audio kept before an utterance must be at least " + key("vad-start-speech-ms")
                            + " (" + b.vadStartSpeechMs + ") and at most 5000 ms (default "
                            + DEFAULT_VAD_PRESPEECH_MS + ")");
        }
        this.vadPrespeechMs = b.vadPrespeechMs;
        if (b.poolSize < 1 || b.poolSize > 256) {
            throw invalid("pool-size", b.poolSize, "the maximum number of decoders (concurrent streams)"
                    + " must be 1 to 256; each decoder needs about 90 MB of native memory (default "
                    + DEFAULT_POOL_SIZE + ")");
        }
        this.poolSize = b.poolSize;
        if (b.warmDecoders < 0 || b.warmDecoders > b.poolSize) {
            throw invalid("warm-decoders", b.warmDecoders, "the decoders built at start must be 0 to "
                    + key("pool-size") + " (" + b.poolSize + "); lower it or raise " + key("pool-size"));
        }
        this.warmDecoders = b.warmDecoders;
        int reserved = b.reservedForTrusted < 0 ? b.poolSize / 4 : b.reservedForTrusted;
        if (b.reservedForTrusted < -1 || reserved > b.poolSize) {
            throw invalid("reserved-for-trusted", b.reservedForTrusted, "the decoders that sessions with a token"
                    + " cannot take must be 0 to " + key("pool-size") + " (" + b.poolSize + "); by default a quarter"
                    + " of it");
        }
        this.reservedForTrusted = reserved;
        if (b.releaseAfterMs < 100 || b.releaseAfterMs > 600_000) {
            throw invalid("release-after-ms", b.releaseAfterMs, "the silence after which a stream gives its"
                    + " decoder back must be 100 to 600000 ms (default " + DEFAULT_RELEASE_AFTER_MS + ")");
        }
        this.releaseAfterMs = b.releaseAfterMs;
        this.logFile = b.logFile == null || b.logFile.isBlank() ? null : b.logFile.trim();
        this.extraArgs = validateExtraArgs(b.extraArgs);
    }

    /** PocketSphinx's defaults, the Debian en-us model, endpoint 500 ms. */
    public static PocketSphinxSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelDir = modelDir;
        b.lm = lm;
        b.dict = dict;
        b.beam = beam;
        b.wbeam = wbeam;
        b.pbeam = pbeam;
        b.lw = lw;
        b.maxhmmpf = maxhmmpf;
        b.fwdflat = fwdflat;
        b.bestpath = bestpath;
        b.plWindow = plWindow;
        b.endpointSilenceMs = endpointSilenceMs;
        b.vadThreshold = vadThreshold;
        b.vadStartSpeechMs = vadStartSpeechMs;
        b.vadPrespeechMs = vadPrespeechMs;
        b.poolSize = poolSize;
        b.warmDecoders = warmDecoders;
        b.reservedForTrusted = reservedForTrusted;
        b.releaseAfterMs = releaseAfterMs;
        b.logFile = logFile;
        b.extraArgs = new LinkedHashMap<>(extraArgs);
        return b;
    }

    /**
     * Reads the settings from properties named {@code parley.recognizer.pocketsphinx.<key>}; a key
     * whose lookup returns null or blank keeps its default. Keys: {@code model-dir, lm, dict, beam,
     * wbeam, pbeam, lw, maxhmmpf, fwdflat, bestpath, pl-window, endpoint-silence-ms, vad-threshold,
     * vad-start-speech-ms, vad-prespeech-ms, pool-size, warm-decoders, reserved-for-trusted,
     * release-after-ms, log-file} (C library log,
     * silenced when unset) and {@code extra-args} (further PocketSphinx options, e.g.
     * {@code "-silprob 0.1 -wip 0.5"}).
     *
     * @throws IllegalArgumentException naming the property and what to change
     */
    public static PocketSphinxSettings fromProperties(Function<String, String> lookup) {
        Objects.requireNonNull(lookup, "lookup");
        Builder b = builder();
        String v;
        if ((v = get(lookup, "model-dir")) != null) b.modelDir(path("model-dir", v));
        if ((v = get(lookup, "lm")) != null) b.lm(path("lm", v));
        if ((v = get(lookup, "dict")) != null) b.dict(path("dict", v));
        if ((v = get(lookup, "beam")) != null) b.beam(number("beam", v, "e.g. 1e-48"));
        if ((v = get(lookup, "wbeam")) != null) b.wbeam(number("wbeam", v, "e.g. 7e-29"));
        if ((v = get(lookup, "pbeam")) != null) b.pbeam(number("pbeam", v, "e.g. 1e-48"));
        if ((v = get(lookup, "lw")) != null) b.lw(number("lw", v, "e.g. 6.5"));
        if ((v = get(lookup, "maxhmmpf")) != null) b.maxhmmpf(integer("maxhmmpf", v));
        if ((v = get(lookup, "fwdflat")) != null) b.fwdflat(bool("fwdflat", v));
        if ((v = get(lookup, "bestpath")) != null) b.bestpath(bool("bestpath", v));
        if ((v = get(lookup, "pl-window")) != null) b.plWindow(integer("pl-window", v));
        if ((v = get(lookup, "endpoint-silence-ms")) != null) {
            b.endpointSilenceMs(integer("endpoint-silence-ms", v));
        }
        if ((v = get(lookup, "vad-threshold")) != null) b.vadThreshold(number("vad-threshold", v, "e.g. 2.0"));
        if ((v = get(lookup, "vad-start-speech-ms")) != null) {
            b.vadStartSpeechMs(integer("vad-start-speech-ms", v));
        }
        if ((v = get(lookup, "vad-prespeech-ms")) != null) b.vadPrespeechMs(integer("vad-prespeech-ms", v));
        if ((v = get(lookup, "pool-size")) != null) b.poolSize(integer("pool-size", v));
        if ((v = get(lookup, "warm-decoders")) != null) b.warmDecoders(integer("warm-decoders", v));
        if ((v = get(lookup, "reserved-for-trusted")) != null) {
            b.reservedForTrusted(integer("reserved-for-trusted", v));
        }
        if ((v = get(lookup, "release-after-ms")) != null) b.releaseAfterMs(integer("release-after-ms", v));
        if ((v = get(lookup, "log-file")) != null) b.logFile(v);
        if ((v = get(lookup, "extra-args")) != null) b.extraArgs(parseExtraArgs(v));
        return b.build();
    }

    /** The full property name for a key, e.g. {@code key("beam")}. */
    public static String key(String name) {
        return PREFIX + name;
    }

    /**
     * The decoder's argument vector (option/value pairs, no program name) for
     * {@code cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE)}. Extra args come last.
     */
    public String[] toArgs() {
        List<String> a = new ArrayList<>();
        add(a, "-hmm", modelDir.toString());
        add(a, "-lm", lm.toString());
        add(a, "-dict", dict.toString());
        add(a, "-samprate", "16000");
        add(a, "-frate", "100");
        add(a, "-remove_silence", "yes");
        add(a, "-beam", fmt(beam));
        add(a, "-wbeam", fmt(wbeam));
        add(a, "-pbeam", fmt(pbeam));
        add(a, "-lw", fmt(lw));
        add(a, "-maxhmmpf", Integer.toString(maxhmmpf));
        add(a, "-fwdflat", fwdflat ? "yes" : "no");
        add(a, "-bestpath", bestpath ? "yes" : "no");
        add(a, "-pl_window", Integer.toString(plWindow));
        add(a, "-vad_threshold", fmt(vadThreshold));
        add(a, "-vad_startspeech", Integer.toString(vadStartSpeechFrames()));
        add(a, "-vad_prespeech", Integer.toString(vadPrespeechFrames()));
        add(a, "-vad_postspeech", Integer.toString(vadPostspeechFrames()));
        extraArgs.forEach((k, v) -> add(a, k, v));
        return a.toArray(new String[0]);
    }

    /** Endpoint silence in 10 ms frames ({@code -vad_postspeech}), rounded up. */
    public int vadPostspeechFrames() {
        return (endpointSilenceMs + FRAME_MS - 1) / FRAME_MS;
    }

    /** {@code -vad_startspeech} in frames, rounded up. */
    public int vadStartSpeechFrames() {
        return (vadStartSpeechMs + FRAME_MS - 1) / FRAME_MS;
    }

    /** {@code -vad_prespeech} in frames, rounded up. */
    public int vadPrespeechFrames() {
        return (vadPrespeechMs + FRAME_MS - 1) / FRAME_MS;
    }

    public Path modelDir() { return modelDir; }
    public Path lm() { return lm; }
    public Path dict() { return dict; }
    public double beam() { return beam; }
    public double wbeam() { return wbeam; }
    public double pbeam() { return pbeam; }
    public double lw() { return lw; }
    public int maxhmmpf() { return maxhmmpf; }
    public boolean fwdflat() { return fwdflat; }
    public boolean bestpath() { return bestpath; }
    public int plWindow() { return plWindow; }
    public int endpointSilenceMs() { return endpointSilenceMs; }
    public double vadThreshold() { return vadThreshold; }
    public int vadStartSpeechMs() { return vadStartSpeechMs; }
    public int vadPrespeechMs() { return vadPrespeechMs; }
    public int poolSize() { return poolSize; }
    public int warmDecoders() { return warmDecoders; }
    /**
     * Decoders that only trusted streams (sessions with an API key, telephony) may take: streams of
     * sessions opened with a token hold at most {@code pool-size} minus these.
     */
    public int reservedForTrusted() { return reservedForTrusted; }
    /** Audio without speech (or wall-clock time without audio) after which a stream gives its decoder back. */
    public int releaseAfterMs() { return releaseAfterMs; }
    /** File for the C libraries' log, or null (the default) to silence it. */
    public String logFile() { return logFile; }
    /** Further PocketSphinx options ({@code "-name" -> "value"}), unmodifiable, in order. */
    public Map<String, String> extraArgs() { return extraArgs; }

    @Override
    public String toString() {
        return "PocketSphinxSettings[" + String.join(" ", toArgs())
                + ", pool-size=" + poolSize + ", warm-decoders=" + warmDecoders
                + ", reserved-for-trusted=" + reservedForTrusted + ", release-after-ms=" + releaseAfterMs
                + (logFile == null ? "" : ", log-file=" + logFile) + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof PocketSphinxSettings)) return false;
        PocketSphinxSettings s = (PocketSphinxSettings) o;
        return java.util.Arrays.equals(toArgs(), s.toArgs()) && poolSize == s.poolSize
                && warmDecoders == s.warmDecoders && reservedForTrusted == s.reservedForTrusted
                && releaseAfterMs == s.releaseAfterMs && Objects.equals(logFile, s.logFile);
    }

    @Override
    public int hashCode() {
        return Objects.hash(java.util.Arrays.hashCode(toArgs()), poolSize, warmDecoders, reservedForTrusted,
                releaseAfterMs, logFile);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private Path modelDir = DEFAULT_MODEL_DIR;
        private Path lm = DEFAULT_LM;
        private Path dict = DEFAULT_DICT;
        private double beam = DEFAULT_BEAM;
        private double wbeam = DEFAULT_WBEAM;
        private double pbeam = DEFAULT_PBEAM;
        private double lw = DEFAULT_LW;
        private int maxhmmpf = DEFAULT_MAXHMMPF;
        private boolean fwdflat = DEFAULT_FWDFLAT;
        private boolean bestpath = DEFAULT_BESTPATH;
        private int plWindow = DEFAULT_PL_WINDOW;
        private int endpointSilenceMs = DEFAULT_ENDPOINT_SILENCE_MS;
        private double vadThreshold = DEFAULT_VAD_THRESHOLD;
        private int vadStartSpeechMs = DEFAULT_VAD_START_SPEECH_MS;
        private int vadPrespeechMs = DEFAULT_VAD_PRESPEECH_MS;
        private int poolSize = DEFAULT_POOL_SIZE;
        private int warmDecoders = DEFAULT_WARM_DECODERS;
        private int reservedForTrusted = -1; // a quarter of pool-size
        private int releaseAfterMs = DEFAULT_RELEASE_AFTER_MS;
        private String logFile;
        private Map<String, String> extraArgs = new LinkedHashMap<>();

        private Builder() {}

        public Builder modelDir(Path v) { modelDir = v; return this; }
        public Builder lm(Path v) { lm = v; return this; }
        public Builder dict(Path v) { dict = v; return this; }
        public Builder beam(double v) { beam = v; return this; }
        public Builder wbeam(double v) { wbeam = v; return this; }
        public Builder pbeam(double v) { pbeam = v; return this; }
        public Builder lw(double v) { lw = v; return this; }
        public Builder maxhmmpf(int v) { maxhmmpf = v; return this; }
        public Builder fwdflat(boolean v) { fwdflat = v; return this; }
        public Builder bestpath(boolean v) { bestpath = v; return this; }
        public Builder plWindow(int v) { plWindow = v; return this; }
        public Builder endpointSilenceMs(int v) { endpointSilenceMs = v; return this; }
        public Builder vadThreshold(double v) { vadThreshold = v; return this; }
        public Builder vadStartSpeechMs(int v) { vadStartSpeechMs = v; return this; }
        public Builder vadPrespeechMs(int v) { vadPrespeechMs = v; return this; }
        public Builder poolSize(int v) { poolSize = v; return this; }
        public Builder warmDecoders(int v) { warmDecoders = v; return this; }
        public Builder reservedForTrusted(int v) { reservedForTrusted = v; return this; }
        public Builder releaseAfterMs(int v) { releaseAfterMs = v; return this; }
        public Builder logFile(String v) { logFile = v; return this; }
        /** Replaces the extra args ({@code "-name" -> "value"}). */
        public Builder extraArgs(Map<String, String> v) {
            extraArgs = new LinkedHashMap<>(v == null ? Map.of() : v);
            return this;
        }
        /** Adds one extra arg, e.g. {@code extraArg("-silprob", "0.1")}. */
        public Builder extraArg(String name, String value) { extraArgs.put(name, value); return this; }

        public PocketSphinxSettings build() {
            return new PocketSphinxSettings(this);
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private static Map<String, String> reserved() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("-hmm", "model-dir");
        m.put("-lm", "lm");
        m.put("-dict", "dict");
        m.put("-beam", "beam");
        m.put("-wbeam", "wbeam");
        m.put("-pbeam", "pbeam");
        m.put("-lw", "lw");
        m.put("-maxhmmpf", "maxhmmpf");
        m.put("-fwdflat", "fwdflat");
        m.put("-bestpath", "bestpath");
        m.put("-pl_window", "pl-window");
        m.put("-vad_postspeech", "endpoint-silence-ms");
        m.put("-vad_threshold", "vad-threshold");
        m.put("-vad_startspeech", "vad-start-speech-ms");
        m.put("-vad_prespeech", "vad-prespeech-ms");
        m.put("-logfn", "log-file");
        m.put("-samprate", null);
        m.put("-frate", null);
        m.put("-remove_silence", null);
        return Collections.unmodifiableMap(m);
    }

    private static Map<String, String> validateExtraArgs(Map<String, String> in) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : in.entrySet()) {
            String name = e.getKey() == null ? "" : e.getKey().trim();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (!name.matches("-[A-Za-z][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("Invalid " + key("extra-args") + ": option '" + name
                        + "' must look like -name (e.g. \"-silprob 0.1 -wip 0.5\")");
            }
            if (value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("Invalid " + key("extra-args") + ": option " + name
                        + " needs a single value without spaces (e.g. \"" + name + " 0.1\")");
            }
            if (RESERVED.containsKey(name)) {
                String prop = RESERVED.get(name);
                throw new IllegalArgumentException("Invalid " + key("extra-args") + ": option " + name
                        + (prop == null
                                ? " is fixed by the recognizer (16 kHz, 10 ms frames, VAD on); remove it"
                                : " is set by " + key(prop) + "; remove it from extra-args and set "
                                        + key(prop) + " instead"));
            }
            if (out.put(name, value) != null) {
                throw new IllegalArgumentException("Invalid " + key("extra-args") + ": option " + name
                        + " is given twice; keep one");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Parses {@code "-a 1 -b 2"} into an ordered map. */
    static Map<String, String> parseExtraArgs(String text) {
        String[] tokens = text.trim().split("\\s+");
        if (tokens.length % 2 != 0) {
            throw new IllegalArgumentException("Invalid " + key("extra-args") + "='" + text
                    + "': expected option/value pairs such as \"-silprob 0.1 -wip 0.5\"");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i += 2) {
            if (m.put(tokens[i], tokens[i + 1]) != null) {
                throw new IllegalArgumentException("Invalid " + key("extra-args") + ": option "
                        + tokens[i] + " is given twice; keep one");
            }
        }
        return m;
    }

    private static void add(List<String> a, String k, String v) {
        a.add(k);
        a.add(v);
    }

    private static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e9) {
            return Long.toString((long) d);
        }
        return Double.toString(d).toLowerCase(Locale.ROOT);
    }

    private static String get(Function<String, String> lookup, String name) {
        String v = lookup.apply(key(name));
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static IllegalArgumentException invalid(String name, Object value, String what) {
        return new IllegalArgumentException("Invalid " + key(name) + "=" + value + ": " + what);
    }

    private static Path path(String name, String v) {
        try {
            return Path.of(v);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("Invalid " + key(name) + "='" + v + "': not a file path");
        }
    }

    private static double number(String name, String v, String example) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid " + key(name) + "='" + v + "': must be a number, "
                    + example);
        }
    }

    private static int integer(String name, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid " + key(name) + "='" + v
                    + "': must be a whole number");
        }
    }

    private static boolean bool(String name, String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0":
                return false;
            default:
                throw new IllegalArgumentException("Invalid " + key(name) + "='" + v
                        + "': must be true or false");
        }
    }

    private static double requireBeam(double v, String name, double def) {
        if (!(v > 0 && v <= 1)) {
            throw invalid(name, v, "a beam is a probability ratio above 0 and at most 1; smaller is wider"
                    + " and slower (default " + def + ")");
        }
        return v;
    }

    private static Path requireFile(Path p, String name, boolean dir, String child, String hint) {
        if (p == null) {
            throw new IllegalArgumentException("Missing " + key(name) + ": " + hint);
        }
        boolean ok = dir ? Files.isDirectory(p) && Files.isReadable(p.resolve(child))
                : Files.isRegularFile(p) && Files.isReadable(p);
        if (!ok) {
            throw new IllegalArgumentException("Invalid " + key(name) + "=" + p + ": "
                    + (dir ? "no readable " + child + " in that directory" : "no readable file there")
                    + "; " + hint);
        }
        return p;
    }

    /** Names of all keys understood by {@link #fromProperties(Function)}. */
    public static Set<String> keys() {
        return Set.of("model-dir", "lm", "dict", "beam", "wbeam", "pbeam", "lw", "maxhmmpf", "fwdflat",
                "bestpath", "pl-window", "endpoint-silence-ms", "vad-threshold", "vad-start-speech-ms",
                "vad-prespeech-ms", "pool-size", "warm-decoders", "reserved-for-trusted", "release-after-ms", "log-file",
                "extra-args");
    }
}
