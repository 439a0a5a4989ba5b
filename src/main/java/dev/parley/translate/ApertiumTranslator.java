package dev.parley.translate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default engine: the Apertium pairs installed from Debian packages, run as warm
 * local pipelines (no network port, unlike APy). Starting a pipeline costs a few hundred
 * milliseconds, so each pair keeps {@code pipelinesPerPair} of them running, started at its first
 * request or by {@link #warmUp}.
 */
public final class ApertiumTranslator implements Translator {

    public static final Path DEFAULT_MODES_DIR = Path.of("/usr/share/apertium/modes");

    private static final Logger LOG = LoggerFactory.getLogger(ApertiumTranslator.class);

    /** Only plain pairs: variants such as {@code eng-cat_valencia} or {@code spa-eng_US} are left out. */
    private static final Pattern PAIR_MODE = Pattern.compile("([a-z]{3})-([a-z]{3})\\.mode");

    /** Longer input is refused: it is not an utterance, and it would hold a pipeline for long. */
    static final int MAX_CHARS = 10_000;

    private final Map<String, Path> modes; // "en-es" -> mode file
    private final Map<String, Set<String>> pairs;
    private final int pipelinesPerPair;
    private final Duration timeout;
    private final Map<String, ApertiumPool> pools = new ConcurrentHashMap<>();
    /** Runs callers' callbacks, so that they never hold a pipeline's worker thread. */
    private final ExecutorService completions = Executors.newCachedThreadPool(daemon("translate-apertium-done"));
    private volatile boolean closed;

    /**
     * @param modesDir         where the {@code .mode} files are ({@link #DEFAULT_MODES_DIR})
     * @param pipelinesPerPair warm pipelines per pair: how many requests of one pair run at once
     * @param timeout          per request, from the call to the answer
     */
    public ApertiumTranslator(Path modesDir, int pipelinesPerPair, Duration timeout) {
        if (pipelinesPerPair < 1) {
            throw new IllegalArgumentException("pipelinesPerPair must be at least 1");
        }
        this.modes = discover(modesDir);
        this.pipelinesPerPair = pipelinesPerPair;
        this.timeout = timeout;
        Map<String, Set<String>> p = new TreeMap<>();
        modes.keySet().forEach(key -> p.computeIfAbsent(source(key), k -> new TreeSet<>()).add(target(key)));
        p.replaceAll((k, v) -> Collections.unmodifiableSet(v));
        this.pairs = Collections.unmodifiableMap(p);
    }

    @Override
    public String name() {
        return "apertium";
    }

    @Override
    public Map<String, Set<String>> pairs() {
        return pairs;
    }

    /** Starts the pair's pipelines now, so that its first utterance does not wait for them. */
    public void warmUp(String from, String to) {
        String key = key(LanguageCodes.normalize(from), LanguageCodes.normalize(to));
        if (!modes.containsKey(key)) {
            throw new TranslationException(unknownPair(from, to));
        }
        pool(key);
    }

    @Override
    public CompletableFuture<String> translate(String text, String from, String to) {
        String src = LanguageCodes.normalize(from);
        String dst = LanguageCodes.normalize(to);
        String key = key(src, dst);
        if (closed) {
            return CompletableFuture.failedFuture(new TranslationException("The Apertium translator is closed"));
        }
        if (text == null || text.isBlank() || src.equals(dst)) {
            return CompletableFuture.completedFuture(text == null || text.isBlank() ? "" : text);
        }
        if (!modes.containsKey(key)) {
            return CompletableFuture.failedFuture(new TranslationException(unknownPair(from, to)));
        }
        if (text.length() > MAX_CHARS) {
            return CompletableFuture.failedFuture(new TranslationException(
                    "Text too long for Apertium: " + text.length() + " characters, at most " + MAX_CHARS));
        }
        CompletableFuture<String> result = new CompletableFuture<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        // The caller hears of a timeout on time even while the request still waits for a pipeline.
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS, completions).execute(() ->
                result.completeExceptionally(new TranslationException(
                        "Apertium " + key + " did not answer within " + timeout.toMillis() + " ms")));
        pool(key).submit(text, deadline, result);
        return result;
    }

    /** Process ids of the pair's running pipelines, first program first (for diagnostics and tests). */
    List<Long> pipelinePids(String from, String to) {
        ApertiumPool pool = pools.get(key(LanguageCodes.normalize(from), LanguageCodes.normalize(to)));
        return pool == null ? List.of() : pool.pids();
    }

    @Override
    public void close() {
        closed = true;
        pools.values().forEach(ApertiumPool::close);
        pools.clear();
        completions.shutdown();
    }

    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private ApertiumPool pool(String key) {
        return pools.computeIfAbsent(key, k -> new ApertiumPool(ApertiumMode.read(modes.get(k)), pipelinesPerPair, completions));
    }

    /** Installed pairs by ISO 639-1 key; modes that need a shell or have unknown languages are skipped. */
    private static Map<String, Path> discover(Path modesDir) {
        Map<String, Path> found = new TreeMap<>();
        if (!Files.isDirectory(modesDir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(modesDir)) {
            for (Path file : files.sorted().toList()) {
                Matcher m = PAIR_MODE.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                String from = LanguageCodes.toIso1(m.group(1)).orElse(null);
                String to = LanguageCodes.toIso1(m.group(2)).orElse(null);
                if (from == null || to == null) {
                    LOG.info("Apertium mode {} skipped: no ISO 639-1 code for its languages", file.getFileName());
                    continue;
                }
                try {
                    ApertiumMode.read(file); // refuse modes we cannot run now, not at the first request
                    found.put(key(from, to), file);
                } catch (IllegalArgumentException e) {
                    LOG.warn("Apertium mode {} skipped: {}", file.getFileName(), e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list Apertium modes in " + modesDir, e);
        }
        return found;
    }

    private String unknownPair(String from, String to) {
        return "Apertium cannot translate " + from + " to " + to + " here; installed pairs: " + pairs;
    }

    private static String key(String from, String to) {
        return from + "-" + to;
    }

    private static String source(String key) {
        return key.substring(0, key.indexOf('-'));
    }

    private static String target(String key) {
        return key.substring(key.indexOf('-') + 1);
    }
}
