package dev.parley.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.parley.testing.WordErrorRate;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Latency and capacity benchmark: N concurrent sessions stream the LibriVox recordings at real-time
 * pace, as real clients do; see docs/benchmarks.md. Run: {@code ./parley bench --help}.
 */
public final class Benchmark {

    static final String USAGE = """
            usage: ./parley bench [options]
              --mode full|archive-only|pocketsphinx   what runs (default full)
              --sessions N[,N...]                     concurrent sessions per step (default 1)
              --search LO:HI                          capacity search: largest N in LO..HI that passes (bisection)
              --duration S                            audio per session per step, seconds (default 60)
              --preset parley|pocketsphinx|fast       decoder settings (default parley: Parley's own, -fwdflat no;
                                                      pocketsphinx: PocketSphinx's defaults; fast: -fwdflat no
                                                      -bestpath no -maxhmmpf 3000 -pl_window 10)
              --url http://host:port                  use a running Parley instead of starting one
              --archive-dir DIR                       that Parley's archive (to check audio.wav); ours: <out>/archive
              --jar PATH                              Parley to start (default target/parley.jar)
              --server-env KEY=VALUE                  extra environment for the Parley started (repeatable)
              --rate 24000|16000|8000                 client sample rate (default 24000; pocketsphinx mode: 16000)
              --targets es,ca                         translation targets (default es; archive-only: none)
              --gap-ms MS                             silence between recordings (default 1000, at least 1000)
              --bound-ms MS                           pass: p95 end of speech -> transcript.final below this (default 1500)
              --lag-bound-ms MS                       pass: client ingest lag at most this (default 500)
              --out DIR                               results (default target/bench/<time>)
            """;

    /**
     * Decoder settings a step runs with, given to Parley as properties and to pocketsphinx_continuous
     * as the same arguments, so the two are compared at equal settings.
     */
    record Preset(String name, List<String> args, Map<String, String> env) {
    }

    static final Map<String, Preset> PRESETS = Map.of(
            // Parley's shipped settings: PocketSphinx's defaults without the end-of-utterance fwdflat pass.
            "parley", new Preset("parley", List.of("-fwdflat", "no"), Map.of("PARLEY_RECOGNIZER_POCKETSPHINX_FWDFLAT", "false")),
            "pocketsphinx", new Preset("pocketsphinx", List.of("-fwdflat", "yes", "-bestpath", "yes", "-maxhmmpf", "30000",
                    "-pl_window", "5"), Map.of("PARLEY_RECOGNIZER_POCKETSPHINX_FWDFLAT", "true",
                    "PARLEY_RECOGNIZER_POCKETSPHINX_BESTPATH", "true", "PARLEY_RECOGNIZER_POCKETSPHINX_MAXHMMPF", "30000",
                    "PARLEY_RECOGNIZER_POCKETSPHINX_PL_WINDOW", "5")),
            "fast", new Preset("fast", List.of("-fwdflat", "no", "-bestpath", "no", "-maxhmmpf", "3000", "-pl_window", "10"),
                    Map.of("PARLEY_RECOGNIZER_POCKETSPHINX_FWDFLAT", "false", "PARLEY_RECOGNIZER_POCKETSPHINX_BESTPATH", "false",
                            "PARLEY_RECOGNIZER_POCKETSPHINX_MAXHMMPF", "3000", "PARLEY_RECOGNIZER_POCKETSPHINX_PL_WINDOW", "10")));

    final Map<String, String> opts = new LinkedHashMap<>();
    final List<String> serverEnv = new ArrayList<>();
    String mode;
    int durationS;
    Preset preset;
    int rate;
    String targets;
    int gapMs;
    long boundMs;
    long lagBoundMs;
    Path out;
    Path archiveDir;
    URI base;
    Process server;
    SourceAudio source;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final Map<String, Object> setup = new LinkedHashMap<>();
    final List<Step> steps = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Benchmark b = new Benchmark();
        try {
            b.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
        }
        int code = b.run();
        System.exit(code);
    }

    void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.print(USAGE);
                System.exit(0);
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown or incomplete option " + a);
            }
            if (a.equals("--server-env")) {
                serverEnv.add(args[++i]);
            } else {
                opts.put(a.substring(2), args[++i]);
            }
        }
        Set<String> known = Set.of("mode", "sessions", "search", "duration", "preset", "url", "archive-dir", "jar", "rate",
                "targets", "gap-ms", "bound-ms", "lag-bound-ms", "out");
        for (String k : opts.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown option --" + k);
            }
        }
        mode = opts.getOrDefault("mode", "full");
        if (!Set.of("full", "archive-only", "pocketsphinx").contains(mode)) {
            throw new IllegalArgumentException("--mode must be full, archive-only or pocketsphinx");
        }
        durationS = Integer.parseInt(opts.getOrDefault("duration", "60"));
        preset = PRESETS.get(opts.getOrDefault("preset", "parley"));
        if (preset == null) {
            throw new IllegalArgumentException("--preset must be parley, pocketsphinx or fast");
        }
        rate = Integer.parseInt(opts.getOrDefault("rate", mode.equals("pocketsphinx") ? "16000" : "24000"));
        if (mode.equals("pocketsphinx") && rate != 16000) {
            throw new IllegalArgumentException("pocketsphinx mode feeds 16 kHz");
        }
        targets = opts.getOrDefault("targets", mode.equals("full") ? "es" : "");
        gapMs = Integer.parseInt(opts.getOrDefault("gap-ms", "1000"));
        if (gapMs < 1000) {
            throw new IllegalArgumentException("--gap-ms must be at least 1000");
        }
        boundMs = Long.parseLong(opts.getOrDefault("bound-ms", "1500"));
        lagBoundMs = Long.parseLong(opts.getOrDefault("lag-bound-ms", "500"));
        out = Path.of(opts.getOrDefault("out", "target/bench/" + Instant.now().toString().replace(':', '-').replaceAll("\\..*", "")));
    }

    int run() throws Exception {
        Files.createDirectories(out);
        source = new SourceAudio(rate, gapMs);
        List<Integer> fixed = new ArrayList<>();
        for (String n : opts.getOrDefault("sessions", "1").split(",")) {
            fixed.add(Integer.parseInt(n.trim()));
        }
        int lo = 0;
        int hi = 0;
        if (opts.containsKey("search")) {
            String[] r = opts.get("search").split(":");
            lo = Integer.parseInt(r[0]);
            hi = Integer.parseInt(r[1]);
        }
        int maxN = opts.containsKey("search") ? hi : Collections.max(fixed);
        describeSetup(maxN);
        try {
            if (!mode.equals("pocketsphinx")) {
                startOrUseServer(maxN);
                warmUp();
            }
            if (opts.containsKey("search")) {
                int good = lo - 1;
                int bad = hi + 1;
                int n = lo;
                while (bad - good > 1) {
                    Step s = runStep(n);
                    if (s.pass) {
                        good = n;
                    } else {
                        bad = n;
                    }
                    n = (good + bad) / 2;
                }
                setup.put("capacity", good < lo ? "below " + lo : good);
                System.out.println("Capacity: " + (good < lo ? "below " + lo : good + " sessions") + " (" + mode + ", " + preset.name() + ")");
            } else {
                for (int n : fixed) {
                    runStep(n);
                }
            }
        } finally {
            if (server != null) {
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        }
        write();
        return 0;
    }

    private void describeSetup(int maxN) throws Exception {
        setup.put("mode", mode);
        setup.put("preset", preset.name());
        setup.put("decoder_args", preset.args());
        setup.put("duration_s", durationS);
        setup.put("rate", rate);
        setup.put("targets", targets);
        setup.put("gap_ms", gapMs);
        setup.put("bound_ms", boundMs);
        setup.put("lag_bound_ms", lagBoundMs);
        setup.put("frame_ms", LoadSession.FRAME_MS);
        setup.put("cores", ProcStats.CORES);
        setup.put("cpu", cpuModel());
        setup.put("memory_mb", memTotalMb());
        setup.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        setup.put("java", System.getProperty("java.version"));
        setup.put("started_at", Instant.now().toString());
        setup.put("vad", "energy VAD on the original 16 kHz recordings: 10 ms frames voiced when >= noise floor (10th percentile) + 12 dB"
                + " and >= -50 dBFS; hangover " + SourceAudio.HANGOVER_MS + " ms; segments >= 100 ms");
        Map<String, Object> recs = new LinkedHashMap<>();
        for (int i = 0; i < source.recordings().size(); i++) {
            recs.put(source.recordings().get(i).id(), source.speechOf(i).stream()
                    .map(s -> List.of(s.startMs(), s.endMs())).toList());
        }
        setup.put("speech_segments_ms", recs);
    }

    private void startOrUseServer(int maxN) throws Exception {
        if (opts.containsKey("url")) {
            base = URI.create(opts.get("url").replaceAll("/+$", ""));
            archiveDir = opts.containsKey("archive-dir") ? Path.of(opts.get("archive-dir")) : null;
            setup.put("server", "existing " + base);
            awaitReady(Duration.ofSeconds(30));
            return;
        }
        Path jar = Path.of(opts.getOrDefault("jar", "target/parley.jar")).toAbsolutePath();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        archiveDir = out.resolve("archive").toAbsolutePath();
        Map<String, String> env = new TreeMap<>();
        env.put("PARLEY_PORT", Integer.toString(port));
        env.put("PARLEY_HOST", "127.0.0.1");
        env.put("PARLEY_ARCHIVE_DIR", archiveDir.toString());
        env.put("PARLEY_WEBHOOKS_DIR", out.resolve("webhooks").toAbsolutePath().toString());
        // many token requests from one address: raise the rate limit, keep authentication on
        env.put("PARLEY_AUTH_RATE_LIMIT_PER_MINUTE", "100000");
        env.put("PARLEY_AUTH_RATE_LIMIT_BURST", "10000");
        env.put("PARLEY_SESSION_MAX_SESSIONS", Integer.toString(maxN + 10));
        // every session has a token from this one address: nothing kept for API keys, no bound per address
        env.put("PARLEY_SESSION_RESERVED_FOR_TRUSTED", "0");
        env.put("PARLEY_RECOGNIZER_POCKETSPHINX_RESERVED_FOR_TRUSTED", "0");
        env.put("PARLEY_AUTH_MAX_ANONYMOUS_PER_ADDRESS", Integer.toString(maxN + 10));
        if (mode.equals("archive-only")) {
            env.put("PARLEY_RECOGNIZER", "none");
        } else {
            env.put("PARLEY_RECOGNIZER_POCKETSPHINX_POOL_SIZE", Integer.toString(Math.max(8, maxN)));
            env.put("PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", Integer.toString(Math.max(1, maxN)));
            env.putAll(preset.env());
        }
        for (String kv : serverEnv) {
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        // This very JVM's java, not PATH's: the tests' PATH holds only what ./parley installs.
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        String javaOpts = System.getenv("PARLEY_JAVA_OPTS");
        if (javaOpts != null && !javaOpts.isBlank()) {
            cmd.addAll(List.of(javaOpts.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar.toString()));
        Path dir = out.resolve("server");
        Files.createDirectories(dir);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(out.resolve("server.log").toFile());
        pb.environment().putAll(env);
        server = pb.start();
        base = URI.create("http://127.0.0.1:" + port);
        setup.put("server", "started: " + String.join(" ", cmd) + " (pid " + server.pid() + ")");
        setup.put("server_env", env);
        System.out.println("bench: started Parley, pid " + server.pid() + ", " + base + "; log " + out.resolve("server.log"));
        awaitReady(Duration.ofSeconds(120));
        // let the decoders warm in the background before measuring
        awaitQuiet();
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (server != null && !server.isAlive()) {
                throw new IllegalStateException("Parley exited with " + server.exitValue() + "; see " + out.resolve("server.log"));
            }
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/observe/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException starting) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Parley at " + base + " not ready within " + timeout);
    }

    /** Waits (at most 90 s) until the server uses less than 15% of a core for 2 s. */
    private void awaitQuiet() throws Exception {
        if (server == null) {
            return;
        }
        try (ProcStats stats = new ProcStats(() -> Set.of(server.pid()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                Thread.sleep(1000);
                List<ProcStats.Sample> s = stats.samples();
                if (s.size() >= 2 && s.get(s.size() - 1).serverCpu() < 15 && s.get(s.size() - 2).serverCpu() < 15) {
                    return;
                }
            }
        }
    }

    /**
     * One unmeasured session of one recording before the first step. The recognizer learns the
     * cepstral mean of audio at this rate from a stream's first utterances, and decodes those again
     * until it has (issue 2); a deployment pays that once, on its first call, so the steps should not.
     */
    private void warmUp() throws Exception {
        System.out.println("bench: warm-up session (one recording, not measured)");
        LoadSession.Parley s = new LoadSession.Parley(source.stream(0, 1));
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("bench-warm-up"));
        try {
            s.connect(http, base, "rate=" + rate + "&targets=" + targets + "&meta.bench=warm-up");
            s.start(ticker);
            s.done.get(s.audio.durationMs() + 60_000, TimeUnit.MILLISECONDS);
        } finally {
            ticker.shutdownNow();
        }
        setup.put("warm_up", "one session of one recording before the first step, not measured");
        awaitQuiet();
    }

    Step runStep(int n) throws Exception {
        System.out.printf("bench: step N=%d, %s, %s, %d s of audio per session%n", n, mode, preset.name(), durationS);
        List<LoadSession> sessions = new ArrayList<>();
        Set<Long> sphinxPids = ConcurrentHashMap.newKeySet();
        ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2, daemon("bench-ticker"));
        List<ScheduledExecutorService> own = new ArrayList<>();
        ProcStats stats = new ProcStats(() -> server != null ? Set.of(server.pid()) : sphinxPids);
        long stepStart = System.nanoTime();
        long staggerMs = Math.max(1, Math.min(LoadSession.FRAME_MS, 4000L / Math.max(1, n)));
        String query = "rate=" + rate + "&targets=" + targets + "&meta.bench=" + mode;
        for (int i = 0; i < n; i++) {
            SourceAudio.Stream audio = source.stream(i % source.recordings().size(), durationS * 1000L);
            try {
                if (mode.equals("pocketsphinx")) {
                    LoadSession.Sphinx s = new LoadSession.Sphinx(audio, preset.args());
                    sphinxPids.add((long) s.pid());
                    sessions.add(s);
                    ScheduledExecutorService mine = Executors.newSingleThreadScheduledExecutor(daemon("bench-feed"));
                    own.add(mine);
                    s.start(mine);
                } else {
                    LoadSession.Parley s = new LoadSession.Parley(audio);
                    sessions.add(s);
                    s.connect(http, base, query);
                    s.start(ticker);
                }
            } catch (Exception e) {
                LoadSession failed = sessions.get(sessions.size() - 1);
                failed.fail("could not start: " + e);
            }
            Thread.sleep(staggerMs);
        }
        long maxAudioMs = sessions.stream().mapToLong(s -> s.audio.durationMs()).max().orElse(0);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxAudioMs + 60_000);
        for (LoadSession s : sessions) {
            try {
                s.done.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                s.fail("no session.closed within 60 s of the end of its audio");
                s.abort();
            }
        }
        ticker.shutdownNow();
        own.forEach(ScheduledExecutorService::shutdownNow);
        stats.close();
        Step step = Analysis.analyse(this, n, sessions, stats.samples(), (System.nanoTime() - stepStart) / 1e9);
        steps.add(step);
        step.print(boundMs);
        write();
        if (server != null) {
            awaitQuiet();
        }
        return step;
    }

    /** Bytes of audio.wav's data for a session, or -1 when it cannot be found. */
    long archivedBytes(String sessionId) {
        if (archiveDir == null || sessionId == null) {
            return -1;
        }
        try (Stream<Path> all = Files.walk(archiveDir, 4)) {
            Path dir = all.filter(p -> p.getFileName().toString().equals(sessionId)).findFirst().orElse(null);
            if (dir == null || !Files.exists(dir.resolve("audio.wav"))) {
                return -1;
            }
            return dev.parley.testing.WavFile.read(dir.resolve("audio.wav")).pcm().length;
        } catch (IOException e) {
            return -1;
        }
    }

    void write() throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("setup", setup);
        json.put("steps", steps.stream().map(Step::toJson).toList());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), json);
        Files.writeString(out.resolve("report.html"), Report.html(setup, steps, boundMs));
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.replaceFirst(".*:\\s*", "")).orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static long memTotalMb() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024).orElse(-1L);
        } catch (IOException e) {
            return -1;
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    static double wer(List<String> refs, List<String> hyps) {
        return refs.isEmpty() ? Double.NaN : WordErrorRate.corpus(refs, hyps);
    }

    static Set<String> set(String... s) {
        return new HashSet<>(List.of(s));
    }
}
