package dev.parley.translate;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A remote engine's pairs, asked for once and then kept for a while: {@code pairs()} is called when
 * sessions start, and a server's languages change rarely. A failed fetch is not kept.
 */
final class CachedPairs {

    static final Duration TTL = Duration.ofMinutes(10);

    private final Supplier<Map<String, Set<String>>> fetch;
    private Map<String, Set<String>> pairs;
    private long fetchedAt;

    CachedPairs(Supplier<Map<String, Set<String>>> fetch) {
        this.fetch = fetch;
    }

    synchronized Map<String, Set<String>> get() {
        if (pairs == null || System.nanoTime() - fetchedAt > TTL.toNanos()) {
            pairs = freeze(fetch.get());
            fetchedAt = System.nanoTime();
        }
        return pairs;
    }

    /** A sorted, unmodifiable copy without pairs from a language to itself. */
    static Map<String, Set<String>> freeze(Map<String, Set<String>> raw) {
        Map<String, Set<String>> out = new TreeMap<>();
        raw.forEach((from, targets) -> {
            Set<String> t = new TreeSet<>(targets);
            t.remove(from);
            if (!t.isEmpty()) {
                out.put(from, Collections.unmodifiableSet(t));
            }
        });
        return Collections.unmodifiableMap(out);
    }
}
