package dev.parley.translate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One warm Apertium pipeline: every program of a mode runs as its own process in null-flush mode,
 * chained by OS pipes ({@link ProcessBuilder#startPipeline}: no shell, no copying thread). A request
 * is written as stream text plus {@code \0}; each program flushes its output when it reads a
 * {@code \0}, so the answer arrives as soon as the last program has it. The processes keep their
 * dictionaries loaded between requests: that is the whole point (a new chain costs ~100-300 ms).
 *
 * <p>Not thread-safe: one request at a time, from the one worker thread that owns it. A pipeline
 * that died or timed out is killed whole and started again on the next request.
 */
final class ApertiumPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApertiumPipeline.class);

    /** Put on the answer queue when the last program's output ends; compared by identity. */
    private static final String ENDED = new String("<ended>");

    private static final String NONCE_PREFIX = "[parley-nonce-";

    private final ApertiumMode mode;
    private long requests;
    private volatile List<Process> processes = List.of();
    private OutputStream input;
    private BlockingQueue<String> answers;

    ApertiumPipeline(ApertiumMode mode) {
        this.mode = mode;
    }

    /** The pipeline stopped answering; the caller may retry on a fresh one. */
    static final class Died extends Exception {
        private static final long serialVersionUID = 1L;

        Died(String message) {
            super(message);
        }
    }

    /** Starts the processes unless they all run; a half-dead pipeline is killed first. */
    void ensureRunning() throws IOException {
        if (!processes.isEmpty() && processes.stream().allMatch(Process::isAlive)) {
            return;
        }
        if (!processes.isEmpty()) {
            LOG.warn("Apertium pipeline {} lost a process; restarting it", mode.name());
            kill();
        }
        List<ProcessBuilder> builders = new ArrayList<>();
        for (List<String> command : mode.commands()) {
            // stderr goes to Parley's own: Apertium only writes there when something is wrong.
            builders.add(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT));
        }
        List<Process> started = ProcessBuilder.startPipeline(builders);
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        Process last = started.get(started.size() - 1);
        Thread reader = new Thread(() -> readAnswers(last.getInputStream(), queue),
                "apertium-" + mode.name() + "-reader");
        reader.setDaemon(true);
        reader.start();
        processes = started;
        input = started.get(0).getOutputStream();
        answers = queue;
    }

    /**
     * Translates one utterance (already non-blank) and returns Apertium's output as text.
     *
     * <p>After the text goes a nonce in a superblank, which every program passes through untouched:
     * the answer is what comes before the nonce. Counting {@code \0}s alone is not safe, because
     * programs write extra {@code \0}s when they exit, and a dying pipeline would answer "".
     * On timeout the pipeline is killed: its late answer would otherwise be read as the next one's.
     */
    String translate(String text, long deadlineNanos) throws Died, InterruptedException, IOException {
        ensureRunning();
        answers.clear();
        String nonce = NONCE_PREFIX + (++requests) + "]";
        try {
            input.write((ApertiumText.encode(text) + '\0' + nonce + '\0').getBytes(StandardCharsets.UTF_8));
            input.flush();
        } catch (IOException e) {
            kill();
            throw new Died("Apertium pipeline " + mode.name() + " stopped reading: " + e.getMessage());
        }
        StringBuilder answer = new StringBuilder();
        while (true) {
            String chunk = answers.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (chunk == null) {
                kill();
                throw new TranslationException("Apertium " + mode.name() + " did not answer in time");
            }
            if (chunk == ENDED) {
                kill();
                throw new Died("Apertium pipeline " + mode.name() + " exited");
            }
            if (chunk.equals(nonce)) {
                return ApertiumText.decode(answer.toString());
            }
            if (chunk.startsWith(NONCE_PREFIX)) {
                answer.setLength(0); // the end of an older request's answer: not ours
            } else {
                answer.append(chunk);
            }
        }
    }

    /** Process ids, first program first (for diagnostics and tests). */
    List<Long> pids() {
        return processes.stream().map(Process::pid).toList();
    }

    void kill() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        processes = List.of();
    }

    @Override
    public void close() {
        kill();
    }

    private static void readAnswers(InputStream out, BlockingQueue<String> queue) {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (out) {
            int n;
            while ((n = out.read(buffer)) >= 0) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == 0) {
                        answer.write(buffer, start, i - start);
                        queue.add(answer.toString(StandardCharsets.UTF_8));
                        answer.reset();
                        start = i + 1;
                    }
                }
                answer.write(buffer, start, n - start);
            }
        } catch (IOException e) {
            // killed: the stream closed under us
        }
        queue.add(ENDED);
    }
}
