package dev.parley.http;

import org.slf4j.Logger;

/**
 * Logs refused requests at most once a period, one line without a stack trace, counting the ones it
 * left out: anyone can send garbage, and it must not fill the log or hide what matters in it.
 */
final class RefusalLog {

    private final Logger log;
    private final long periodNanos;
    private long nextAt = System.nanoTime();
    private long left;

    RefusalLog(Logger log, long periodSeconds) {
        this.log = log;
        this.periodNanos = periodSeconds * 1_000_000_000L;
    }

    synchronized void refused(Object from, int status, String reason) {
        long now = System.nanoTime();
        if (now - nextAt < 0) {
            left++;
            return;
        }
        log.info("Refused a request from {} with {}: {}{}", from, status, reason,
                left == 0 ? "" : " (" + left + " more refused since the last such line, not logged)");
        left = 0;
        nextAt = now + periodNanos;
    }
}
