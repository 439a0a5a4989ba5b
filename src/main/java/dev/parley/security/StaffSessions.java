package dev.parley.security;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Signed-in staff: a random session id (the cookie's value) per sign-in, with its member's name and a
 * CSRF token of its own. Sessions live in memory, so a restart signs everybody out; each ends after
 * {@code ttl} without a request, or when its member signs out.
 */
public final class StaffSessions {

    /** One signed-in member of staff. */
    public record Staff(String id, String name, String csrf) {
    }

    private record Entry(Staff staff, Instant lastSeen) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Entry> sessions = new ConcurrentHashMap<>();
    private final Duration ttl;
    private final Clock clock;

    public StaffSessions(Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
    }

    public Duration ttl() {
        return ttl;
    }

    public Staff open(String name) {
        sweep();
        Staff staff = new Staff(random(), name, random());
        sessions.put(staff.id(), new Entry(staff, clock.instant()));
        return staff;
    }

    /** The session a cookie names, if it is still on; each use keeps it on for another {@code ttl}. */
    public Optional<Staff> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Entry entry = sessions.computeIfPresent(id, (k, e) -> e.lastSeen().plus(ttl).isAfter(now) ? new Entry(e.staff(), now) : null);
        return entry == null ? Optional.empty() : Optional.of(entry.staff());
    }

    /** True while the session is on, without counting as a use (a long-lived event stream checks it). */
    public boolean active(String id) {
        Entry entry = sessions.get(id);
        return entry != null && entry.lastSeen().plus(ttl).isAfter(clock.instant());
    }

    public void close(String id) {
        sessions.remove(id);
    }

    private void sweep() {
        Instant now = clock.instant();
        sessions.values().removeIf(e -> !e.lastSeen().plus(ttl).isAfter(now));
    }

    private static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
