package dev.parley.session;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;

/** Runs its tasks one at a time, in the order they were submitted, on a shared executor. */
final class SerialExecutor implements Executor {

    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private final Executor executor;
    private Runnable active;

    SerialExecutor(Executor executor) {
        this.executor = executor;
    }

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(() -> {
            try {
                task.run();
            } finally {
                next();
            }
        });
        if (active == null) {
            next();
        }
    }

    private synchronized void next() {
        active = tasks.poll();
        if (active != null) {
            executor.execute(active);
        }
    }
}
