package dev.parley.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.session.SessionEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TranscriptJsonlTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    private SessionArchive open() {
        return new TranscriptArchive(root).open(Events.SESSION, Instant.now(), List.of("customer", "agent"), 8000, "mulaw");
    }

    /** Text of lengths from a few bytes to several pages, with characters JSON must escape. */
    private static String text(int i) {
        return ("line " + i + " \"quoted\" \n newline ü € ").repeat(1 + (i * 37) % 300);
    }

    @Test
    void aReaderStartedMidSessionOnlySeesWholeLines() throws Exception {
        SessionArchive session = open();
        Path file = session.folder().resolve("transcript.jsonl");
        int total = 1500;
        CountDownLatch started = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            for (int i = 0; i < total; i++) {
                session.append(Events.fin("item_" + i, "agent", "en", text(i), i * 1000L, i * 1000L + 500));
                if (i == 100) {
                    started.countDown();
                }
            }
        });
        writer.start();
        assertTrue(started.await(20, TimeUnit.SECONDS));

        // A tailing reader, as `tail -f` would be: it reads what is there and takes a line only
        // once its '\n' has arrived.
        List<byte[]> snapshots = new ArrayList<>();
        int whole = 0;
        int expected = -1;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            StringBuilder pending = new StringBuilder();
            byte[] buf = new byte[65536];
            long pos = 0;
            while (writer.isAlive() || pos < in.length()) {
                in.seek(pos);
                int n = in.read(buf);
                if (n <= 0) {
                    Thread.onSpinWait();
                    continue;
                }
                pos += n;
                pending.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    String line = new String(pending.substring(0, nl).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                    pending.delete(0, nl + 1);
                    JsonNode event = JSON.readTree(line); // a torn line would not parse
                    int item = Integer.parseInt(event.path("item_id").asText().substring(5));
                    if (expected < 0) {
                        expected = item; // started mid-session: whatever came first
                        assertEquals(0, item, "the reader opened the file from its start");
                    }
                    assertEquals(expected, item, "lines in order, none torn or lost");
                    assertEquals(text(item), event.path("text").asText());
                    expected++;
                    whole++;
                }
                if (snapshots.size() < 20 && writer.isAlive()) {
                    snapshots.add(Files.readAllBytes(file));
                }
            }
            assertEquals(0, pending.length(), "the file ends with a whole line");
        }
        writer.join();
        assertEquals(total, whole);
        session.close(null);

        // Every snapshot, taken while lines were being written, is a prefix of the final file
        // (nothing is ever rewritten), and its whole lines all parse.
        byte[] all = Files.readAllBytes(file);
        for (byte[] snap : snapshots) {
            byte[] prefix = new byte[snap.length];
            System.arraycopy(all, 0, prefix, 0, snap.length);
            assertArrayEquals(prefix, snap);
            Path copy = root.resolve("snap.jsonl");
            Files.write(copy, snap);
            for (String line : SessionArchive.readTranscript(copy)) {
                JSON.readTree(line);
            }
        }
    }

    @Test
    void aCrashMidWriteLosesAtMostTheLineBeingWritten() throws IOException {
        SessionArchive session = open();
        int lines = 50;
        for (int i = 0; i < lines; i++) {
            session.append(Events.fin("item_" + i, "customer", "en", text(i), 0, 10));
        }
        session.close(null);
        Path file = session.folder().resolve("transcript.jsonl");
        byte[] all = Files.readAllBytes(file);
        int lastStart = all.length - 1;
        while (all[lastStart - 1] != '\n') {
            lastStart--;
        }
        // The process dies part-way through the last write: any number of its bytes reached the file.
        Path crashed = root.resolve("crashed.jsonl");
        for (int cut = lastStart; cut < all.length; cut += Math.max(1, (all.length - lastStart) / 97)) {
            byte[] torn = new byte[cut];
            System.arraycopy(all, 0, torn, 0, cut);
            Files.write(crashed, torn);
            List<String> read = SessionArchive.readTranscript(crashed);
            assertEquals(lines - 1, read.size(), "cut at " + cut);
            for (int i = 0; i < read.size(); i++) {
                assertEquals("item_" + i, JSON.readTree(read.get(i)).path("item_id").asText());
            }
        }
        assertEquals(lines, SessionArchive.readTranscript(file).size());
    }

    @Test
    void concurrentAppendsFromSeveralThreadsProduceOnlyWholeLines() throws Exception {
        SessionArchive session = open();
        int threads = 8;
        int each = 300;
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        AtomicBoolean done = new AtomicBoolean();
        Path file = session.folder().resolve("transcript.jsonl");
        try {
            Future<Integer> reader = pool.submit(() -> {
                int checks = 0;
                while (!done.get()) {
                    for (String line : SessionArchive.readTranscript(file)) {
                        JSON.readTree(line);
                    }
                    checks++;
                }
                return checks;
            });
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        String channel = thread % 2 == 0 ? "customer" : "agent";
                        long start = clock.addAndGet(10); // mostly in order; threads race past each other
                        session.append(Events.emit(SessionEvent.of("translation.final").itemId("item_" + thread + "_" + i)
                                .channel(channel).language("es").text("thread " + thread + " says " + i)
                                .span(start, start + 5).field("note", text(i))));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS);
            }
            done.set(true);
            assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
        } finally {
            pool.shutdownNow();
        }
        session.close(null);
        byte[] all = Files.readAllBytes(file);
        assertEquals('\n', all[all.length - 1]);
        List<String> lines = SessionArchive.readTranscript(file);
        assertEquals(threads * each, lines.size());
        Set<String> items = new HashSet<>();
        for (String line : lines) {
            JsonNode event = JSON.readTree(line);
            items.add(event.path("item_id").asText());
            String item = event.path("item_id").asText();
            assertEquals(text(Integer.parseInt(item.substring(item.lastIndexOf('_') + 1))), event.path("note").asText());
        }
        assertEquals(threads * each, items.size());
        // The captions written by the same threads are valid too, one cue per event.
        Captions.Parsed vtt = Captions.parseVtt(Files.readString(session.folder().resolve("captions.es.vtt")));
        assertEquals(threads * each, vtt.cues().size());
        assertEquals(threads * each, Captions.parseSrt(Files.readString(session.folder().resolve("captions.es.srt"))).cues().size());
    }
}
