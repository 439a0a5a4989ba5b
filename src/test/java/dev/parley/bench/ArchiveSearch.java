package dev.parley.bench;

import dev.parley.archive.ArchiveIndex;
import dev.parley.archive.SessionArchive;
import dev.parley.archive.TranscriptArchive;
import dev.parley.session.SessionEvent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The console's archive search over many calls: generates {@code calls} archived sessions (the files
 * Parley writes: call.json, transcript.jsonl with finals and translations, an empty audio.wav), builds
 * the index from them as {@code POST /api/sessions/reindex} does, and times searches of each kind,
 * beside the reference the index replaces: reading every transcript for one word. Then times the live
 * updates (one final at a time, as calls are archived) on the full index, and erasure's lookup of a
 * metadata value through the index beside reading every {@code call.json}.
 *
 * <pre>flock /tmp/parley-bench.lock mvn -q -o test-compile exec:java -Dexec.mainClass=dev.parley.bench.ArchiveSearch \
 *     -Dexec.classpathScope=test -Dexec.args="10000"</pre>
 */
public final class ArchiveSearch {

    private static final int FINALS_PER_CALL = 12;
    private static final int RUNS = 200;

    private ArchiveSearch() {
    }

    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Path dir = Files.createTempDirectory(Path.of("target"), "archive-search");
        TranscriptArchive archive = new TranscriptArchive(dir.resolve("archive"));
        Random random = new Random(42);
        List<String> vocabulary = vocabulary(random);
        Instant first = Instant.parse("2026-11-01T00:00:00Z");
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            write(archive, i, first.plusSeconds(i * 30L * 86_400 / calls), vocabulary, random);
        }
        double generated = (System.nanoTime() - t0) / 1e9;
        System.out.printf("Setup: %d calls of %d finals (2 channels) and as many translations, %d-word vocabulary (Zipf);"
                        + " generated in %.1f s; archive %.1f MB%n", calls, FINALS_PER_CALL, vocabulary.size(), generated,
                size(dir.resolve("archive")) / 1e6);

        try (ArchiveIndex index = new ArchiveIndex(archive, dir.resolve("index"))) {
            long r0 = System.nanoTime();
            int indexed = index.rebuild();
            System.out.printf("Rebuild from the archive: %d sessions in %.1f s; index on disk %.1f MB (%.0f bytes a call)%n",
                    indexed, (System.nanoTime() - r0) / 1e9, index.sizeOnDisk() / 1e6, index.sizeOnDisk() / (double) indexed);

            String rare = vocabulary.get(3000);
            String common = vocabulary.get(0);
            String middle = vocabulary.get(50);
            List<Query> queries = List.of(
                    new Query("rare word (" + rare + ")", () -> new ArchiveIndex.Search(rare, null, null, null, 1, 20)),
                    new Query("common word (" + common + ")", () -> new ArchiveIndex.Search(common, null, null, null, 1, 20)),
                    new Query("two words", () -> new ArchiveIndex.Search(common + " " + middle, null, null, null, 1, 20)),
                    new Query("metadata value (a call_sid)", () -> new ArchiveIndex.Search(null, "CA" + random.nextInt(calls), null, null, 1, 20)),
                    new Query("word in one day", () -> new ArchiveIndex.Search(middle, null, Instant.parse("2026-11-15T00:00:00Z"),
                            Instant.parse("2026-11-16T00:00:00Z"), 1, 20)),
                    new Query("common word, page 10", () -> new ArchiveIndex.Search(common, null, null, null, 10, 20)),
                    new Query("all calls, newest first", () -> new ArchiveIndex.Search(null, null, null, null, 1, 20)));
            System.out.printf("%-32s %8s %8s %8s %8s   (%d runs each, after 20 warm-up)%n", "search", "hits", "p50 ms", "p95 ms", "max ms", RUNS);
            for (Query q : queries) {
                for (int i = 0; i < 20; i++) {
                    index.search(q.search().get());
                }
                double[] ms = new double[RUNS];
                long hits = 0;
                for (int i = 0; i < RUNS; i++) {
                    long s0 = System.nanoTime();
                    hits = index.search(q.search().get()).total();
                    ms[i] = (System.nanoTime() - s0) / 1e6;
                }
                Arrays.sort(ms);
                System.out.printf("%-32s %8d %8.2f %8.2f %8.2f%n", q.name(), hits, ms[RUNS / 2], ms[RUNS * 95 / 100], ms[RUNS - 1]);
            }

            // The reference: what a search costs without an index, reading every call's transcript.
            double[] scans = new double[3];
            long found = 0;
            for (int i = 0; i < scans.length; i++) {
                long s0 = System.nanoTime();
                found = scan(archive.root(), rare);
                scans[i] = (System.nanoTime() - s0) / 1e6;
            }
            Arrays.sort(scans);
            System.out.printf("Reference, no index: reading every transcript.jsonl for the rare word: %d calls, median %.0f ms (3 runs)%n",
                    found, scans[1]);

            // Erasure by metadata (DELETE /api/sessions?meta.call_sid=...): the index, and every call.json read.
            double[] byIndex = new double[5];
            double[] byFiles = new double[5];
            int matched = 0;
            for (int i = 0; i < byIndex.length; i++) {
                String sid = "CA" + random.nextInt(calls);
                long s0 = System.nanoTime();
                matched = index.withMetadata("call_sid", sid).size();
                byIndex[i] = (System.nanoTime() - s0) / 1e6;
                s0 = System.nanoTime();
                archive.sessions().stream().filter(c -> sid.equals(String.valueOf(c.metadata().get("call_sid")))).count();
                byFiles[i] = (System.nanoTime() - s0) / 1e6;
            }
            Arrays.sort(byIndex);
            Arrays.sort(byFiles);
            System.out.printf("Erasure's lookup by a metadata value: through the index %.0f ms, reading every call.json %.0f ms"
                    + " (medians of 5; %d call found)%n", byIndex[2], byFiles[2], matched);

            // Live updates: finals of new calls indexed one at a time, as the archive takes them.
            double[] updates = new double[100 * (FINALS_PER_CALL + 2)];
            int n = 0;
            for (int c = 0; c < 100; c++) {
                String id = "ses_live" + c;
                Instant started = Instant.parse("2026-12-05T00:00:00Z").plusSeconds(c);
                List<SessionEvent> events = events(id, started, c, vocabulary, random);
                for (SessionEvent e : events) {
                    if (e.type().equals("translation.final")) {
                        continue;
                    }
                    long s0 = System.nanoTime();
                    index.record(e, started);
                    updates[n++] = (System.nanoTime() - s0) / 1e6;
                }
            }
            double[] taken = Arrays.copyOf(updates, n);
            Arrays.sort(taken);
            System.out.printf("Live updates on the full index: %d events of 100 calls, p50 %.2f ms, p95 %.2f ms, max %.1f ms"
                    + " (session.closed commits to disk)%n", n, taken[n / 2], taken[n * 95 / 100], taken[n - 1]);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private record Query(String name, Supplier<ArchiveIndex.Search> search) {
    }

    /** Words a Zipf distribution draws from: the first is said in most calls, the last in a few. */
    private static List<String> vocabulary(Random random) {
        List<String> words = new ArrayList<>();
        String letters = "abcdefghijklmnopqrstuvwxyz";
        while (words.size() < 5000) {
            StringBuilder w = new StringBuilder();
            int length = 3 + random.nextInt(7);
            for (int i = 0; i < length; i++) {
                w.append(letters.charAt(random.nextInt(letters.length())));
            }
            if (!words.contains(w.toString())) {
                words.add(w.toString());
            }
        }
        return words;
    }

    private static String sentence(List<String> vocabulary, Random random) {
        StringBuilder s = new StringBuilder();
        int length = 6 + random.nextInt(10);
        for (int i = 0; i < length; i++) {
            // Zipf (s = 1) by inversion of its cumulative weights: rank ~ N^u.
            int rank = (int) Math.min(vocabulary.size() - 1, Math.floor(Math.pow(vocabulary.size(), random.nextDouble())) - 1);
            s.append(i == 0 ? "" : " ").append(vocabulary.get(Math.max(0, rank)));
        }
        return s.toString();
    }

    private static List<SessionEvent> events(String id, Instant started, int n, List<String> vocabulary, Random random) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("id", id);
        settings.put("ingest", "twilio");
        settings.put("source", "en");
        settings.put("targets", List.of("es"));
        settings.put("channels", List.of("customer", "agent"));
        settings.put("metadata", Map.of("call_sid", "CA" + n, "queue", "queue-" + n % 10));
        settings.put("started_at", started.toString());
        List<SessionEvent> events = new ArrayList<>();
        int seq = 0;
        events.add(new SessionEvent(SessionEvent.of("session.created").field("session", settings), "evt_" + seq, id, ++seq, started));
        for (int i = 1; i <= FINALS_PER_CALL; i++) {
            String channel = i % 2 == 0 ? "agent" : "customer";
            long at = i * 4000L;
            events.add(new SessionEvent(SessionEvent.of("transcript.final").itemId("item_" + i).channel(channel).language("en")
                    .text(sentence(vocabulary, random)).span(at, at + 3000), "evt_" + seq, id, ++seq, started.plusMillis(at)));
            events.add(new SessionEvent(SessionEvent.of("translation.final").itemId("item_" + i).channel(channel).language("es")
                    .text(sentence(vocabulary, random)).span(at, at + 3000), "evt_" + seq, id, ++seq, started.plusMillis(at)));
        }
        events.add(new SessionEvent(SessionEvent.of("session.closed").field("reason", "stop"), "evt_" + seq, id, ++seq,
                started.plusSeconds(60)));
        return events;
    }

    private static void write(TranscriptArchive archive, int n, Instant started, List<String> vocabulary, Random random) {
        String id = "ses_bench" + n;
        List<SessionEvent> events = events(id, started, n, vocabulary, random);
        SessionArchive files = archive.open(id, started, List.of("customer", "agent"), 8000, "mulaw");
        @SuppressWarnings("unchecked")
        Map<String, Object> call = new LinkedHashMap<>((Map<String, Object>) events.get(0).field("session"));
        call.put("session_id", id);
        files.writeCallJson(call);
        events.forEach(files::append);
        call.put("ended_at", events.get(events.size() - 1).emittedAt());
        files.close(call);
    }

    private static long scan(Path root, String word) throws IOException {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile("\\b" + word + "\\b");
        long found = 0;
        try (Stream<Path> transcripts = Files.find(root, 5, (p, a) -> p.getFileName().toString().equals(SessionArchive.TRANSCRIPT))) {
            for (Path t : (Iterable<Path>) transcripts::iterator) {
                String text = Files.readString(t);
                if (pattern.matcher(text).find()) {
                    found++;
                }
            }
        }
        return found;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
