package dev.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * CPU and memory from /proc, sampled once a second. "Server" is a process and all its descendants
 * (Parley's JVM with its Apertium pipelines and eSpeak NG runs, or the pocketsphinx_continuous
 * processes): CPU is the sum of each live process's utime+stime deltas plus the root's cutime+cstime
 * delta (children it has reaped); RSS is the root's VmRSS and the sum over the tree. The load
 * generator is this JVM (/proc/self). Machine is /proc/stat's busy share of all cores.
 * CPU figures are in percent of one core (200% = both cores of a 2-core machine busy).
 */
final class ProcStats implements AutoCloseable {

    static final long TICKS = 100; // USER_HZ on Linux
    static final int CORES = Runtime.getRuntime().availableProcessors();

    /** One sample: seconds since start, server CPU %, server root RSS MB, tree RSS MB, load generator CPU %, machine busy %. */
    record Sample(double t, double serverCpu, double serverRssMb, double treeRssMb, double loadgenCpu, double machineCpu) { }

    private final Supplier<Set<Long>> roots;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "proc-stats");
        t.setDaemon(true);
        return t;
    });
    private final List<Sample> samples = new ArrayList<>();
    private final Map<Long, Long> lastTicks = new HashMap<>();
    private long lastChildTicks;
    private long lastSelf;
    private long[] lastMachine;
    private long lastNanos;
    private final long startNanos = System.nanoTime();

    /** @param roots the server's root processes (empty when the server is not ours to watch) */
    ProcStats(Supplier<Set<Long>> roots) {
        this.roots = roots;
        sample(false);
        timer.scheduleAtFixedRate(() -> sample(true), 1, 1, TimeUnit.SECONDS);
    }

    synchronized List<Sample> samples() { return List.copyOf(samples); }

    private synchronized void sample(boolean record) {
        try {
            long now = System.nanoTime();
            Map<Long, Long> parents = new HashMap<>();
            Map<Long, long[]> stat = new HashMap<>();
            try (var dirs = Files.list(Path.of("/proc"))) {
                for (Path p : (Iterable<Path>) dirs::iterator) {
                    String name = p.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    long[] s = stat(p.resolve("stat"));
                    if (s != null) {
                        parents.put(Long.parseLong(name), s[0]);
                        stat.put(Long.parseLong(name), s);
                    }
                }
            }
            Set<Long> rootSet = roots.get();
            long cpu = 0;
            long childTicks = 0;
            double rootRss = 0;
            double treeRss = 0;
            Map<Long, Long> seen = new HashMap<>();
            for (Map.Entry<Long, long[]> e : stat.entrySet()) {
                long pid = e.getKey();
                if (!inTree(pid, rootSet, parents)) {
                    continue;
                }
                long ticks = e.getValue()[1];
                seen.put(pid, ticks);
                cpu += Math.max(0, ticks - lastTicks.getOrDefault(pid, ticks));
                double rss = rssMb(pid);
                treeRss += rss;
                if (rootSet.contains(pid)) {
                    childTicks += e.getValue()[2];
                    rootRss += rss;
                }
            }
            // processes that appeared since the last sample count from their start
            for (Map.Entry<Long, Long> e : seen.entrySet()) {
                if (!lastTicks.containsKey(e.getKey()) && record) {
                    cpu += e.getValue();
                }
            }
            cpu += Math.max(0, childTicks - lastChildTicks);
            long self = stat(Path.of("/proc/self/stat"))[1];
            long[] machine = machine();
            if (record) {
                double seconds = (now - lastNanos) / 1e9;
                double busy = 0;
                if (lastMachine != null) {
                    double total = machine[0] - lastMachine[0];
                    busy = total > 0 ? 100.0 * CORES * (machine[1] - lastMachine[1]) / total : 0;
                }
                samples.add(new Sample((now - startNanos) / 1e9, 100.0 * cpu / TICKS / seconds, rootRss, treeRss,
                        100.0 * (self - lastSelf) / TICKS / seconds, busy));
            }
            lastTicks.clear();
            lastTicks.putAll(seen);
            lastChildTicks = childTicks;
            lastSelf = self;
            lastMachine = machine;
            lastNanos = now;
        } catch (Exception e) {
            System.err.println("bench: /proc sampling failed: " + e);
        }
    }

    private static boolean inTree(long pid, Set<Long> roots, Map<Long, Long> parents) {
        for (int depth = 0; depth < 32 && pid > 1; depth++) {
            if (roots.contains(pid)) {
                return true;
            }
            Long parent = parents.get(pid);
            if (parent == null) {
                return false;
            }
            pid = parent;
        }
        return false;
    }

    /** ppid, utime+stime, cutime+cstime. */
    private static long[] stat(Path file) {
        try {
            String s = Files.readString(file);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // f[0] is state (field 3); utime is field 14 -> f[11]
            return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12]),
                    Long.parseLong(f[13]) + Long.parseLong(f[14])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static double rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** total and busy jiffies of all cores. */
    private static long[] machine() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total, total - idle};
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
