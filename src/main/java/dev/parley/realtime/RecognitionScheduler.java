package dev.parley.realtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The threads that feed every channel's audio to the recognizer, and who goes next. Recognizer time
 * is shared fairly between channels: of the channels with audio waiting, the one that has used the
 * least recognizer (CPU) time goes next, for one turn of at most 200 ms of audio. A channel that
 * waited, or that had nothing to do, banks no more than {@link #SLACK_NANOS} of credit, so a channel
 * that keeps up with real time (it uses less than its share) goes first whenever its audio arrives,
 * and a backlog is the backlog of the channel that sends too much.
 *
 * <p>A channel whose audio arrives ahead of real time ({@link RecognitionChannel#ahead()}) goes after
 * every channel that does not, and such channels occupy at most all threads but one at a time: a turn
 * cannot be interrupted (decoding an utterance a second time may take a second), so one thread is
 * always left for audio that arrives at the pace it is spoken.
 */
public final class RecognitionScheduler implements AutoCloseable {

    /** Credit a channel may bank while it waits or idles: 20 ms of CPU, a few turns of real-time audio. */
    static final long SLACK_NANOS = 20_000_000L;

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final boolean CPU_TIME = CPU.isCurrentThreadCpuTimeSupported();

    private final Object lock = new Object();
    private final PriorityQueue<Turn> ready = new PriorityQueue<>(
            Comparator.comparing((Turn t) -> t.ahead).thenComparingLong(t -> t.channel.usedNanos));
    private final Thread[] threads;
    private final int maxAheadRunning;
    /** Recognizer time used by the channel most recently given a turn: the fair-share clock. */
    private long clock;
    private int aheadRunning;
    private boolean closed;

    private record Turn(RecognitionChannel channel, boolean ahead) {
    }

    public RecognitionScheduler(int threads, String namePrefix) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.threads = new Thread[threads];
        this.maxAheadRunning = Math.max(1, threads - 1);
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::work, namePrefix + "-" + (i + 1));
            t.setDaemon(true);
            this.threads[i] = t;
            t.start();
        }
    }

    /** Queues a channel that has work; it must not be queued or running already. */
    void submit(RecognitionChannel channel) {
        boolean ahead = channel.ahead();
        synchronized (lock) {
            if (closed) {
                return;
            }
            channel.usedNanos = Math.max(channel.usedNanos, clock - SLACK_NANOS);
            ready.add(new Turn(channel, ahead));
            lock.notify();
        }
    }

    private void work() {
        while (true) {
            Turn turn;
            synchronized (lock) {
                while (true) {
                    if (closed) {
                        return;
                    }
                    Turn next = ready.peek();
                    // Channels ahead of real time sort last: if the first is one, all are.
                    if (next != null && (!next.ahead || aheadRunning < maxAheadRunning)) {
                        turn = ready.poll();
                        break;
                    }
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                clock = Math.max(clock, turn.channel.usedNanos);
                if (turn.ahead) {
                    aheadRunning++;
                }
            }
            long start = now();
            try {
                turn.channel.runTurn();
            } finally {
                long used = Math.max(0, now() - start);
                synchronized (lock) {
                    turn.channel.usedNanos += used;
                    if (turn.ahead) {
                        aheadRunning--;
                        lock.notify(); // a channel ahead of real time may have been waiting for this
                    }
                }
                turn.channel.turnEnded();
            }
        }
    }

    private static long now() {
        return CPU_TIME ? CPU.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** Stops the threads; turns in progress finish, queued ones are dropped. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            ready.clear();
            lock.notifyAll();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
    }
}
