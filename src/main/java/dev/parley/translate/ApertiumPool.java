package dev.parley.translate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm pipelines of one pair, each owned by its own worker thread: those threads are the
 * dedicated executor that translation calls run on. Requests wait in one queue and the first free
 * pipeline takes the next, so a slow sentence holds up one pipeline, not the pair.
 */
final class ApertiumPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApertiumPool.class);

    private record Job(String text, long deadlineNanos, CompletableFuture<String> result) {
    }

    private final ApertiumMode mode;
    private final Executor completions;
    private final BlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private final List<ApertiumPipeline> pipelines = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** Starts {@code size} workers, each of which starts its pipeline at once (in parallel). */
    ApertiumPool(ApertiumMode mode, int size, Executor completions) {
        this.mode = mode;
        this.completions = completions;
        for (int i = 0; i < size; i++) {
            Thread t = new Thread(this::work, "apertium-" + mode.name() + "-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    /** Queues a request; the result completes on a worker thread. */
    void submit(String text, long deadlineNanos, CompletableFuture<String> result) {
        if (closed) {
            result.completeExceptionally(new TranslationException("The Apertium translator is closed"));
            return;
        }
        jobs.add(new Job(text, deadlineNanos, result));
    }

    /** Process ids of every pipeline that runs (tests kill one to prove a restart). */
    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        pipelines.forEach(p -> pids.addAll(p.pids()));
        return pids;
    }

    private void work() {
        ApertiumPipeline pipeline = new ApertiumPipeline(mode);
        pipelines.add(pipeline);
        try {
            pipeline.ensureRunning(); // warm up before the first request arrives
        } catch (IOException e) {
            LOG.error("Cannot start Apertium pipeline {}: {}", mode.name(), e.getMessage());
        }
        try {
            while (!closed) {
                Job job = jobs.take();
                if (!job.result().isDone()) { // a job whose deadline passed in the queue is skipped
                    run(pipeline, job);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pipeline.close();
        }
    }

    private void run(ApertiumPipeline pipeline, Job job) throws InterruptedException {
        try {
            finish(job.result(), translateWithOneRetry(pipeline, job), null);
        } catch (TranslationException e) {
            finish(job.result(), null, e);
        } catch (IOException e) {
            finish(job.result(), null, new TranslationException(
                    "Cannot start Apertium pipeline " + mode.name() + ": " + e.getMessage(), e));
        } catch (InterruptedException e) {
            finish(job.result(), null, new TranslationException("The Apertium translator is closed"));
            throw e;
        } catch (RuntimeException e) {
            pipeline.kill();
            finish(job.result(), null, new TranslationException("Apertium " + mode.name() + " failed", e));
        }
    }

    /** Completes off this thread: the caller's callbacks must not hold the pipeline. */
    private void finish(CompletableFuture<String> result, String value, TranslationException error) {
        Runnable complete = () -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        };
        try {
            completions.execute(complete);
        } catch (RejectedExecutionException closing) {
            complete.run();
        }
    }

    /** A pipeline that died under a request is started again once; a second death is reported. */
    private String translateWithOneRetry(ApertiumPipeline pipeline, Job job) throws IOException, InterruptedException {
        try {
            return pipeline.translate(job.text(), job.deadlineNanos());
        } catch (ApertiumPipeline.Died first) {
            LOG.warn("{}; restarting it", first.getMessage());
            try {
                return pipeline.translate(job.text(), job.deadlineNanos());
            } catch (ApertiumPipeline.Died second) {
                throw new TranslationException(second.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.forEach(Thread::interrupt);
        pipelines.forEach(ApertiumPipeline::kill);
        Job job;
        while ((job = jobs.poll()) != null) {
            job.result().completeExceptionally(new TranslationException("The Apertium translator is closed"));
        }
    }
}
