package dev.parley.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand, so expiry and refill need no sleeping. */
final class TestClock extends Clock {

    /** A whole second, so a token's expiry falls exactly {@code ttl} after issue. */
    static final long START = 1_700_000_000_000L;

    private final AtomicLong millis;
    private final ZoneId zone;

    TestClock() {
        this(new AtomicLong(START), ZoneOffset.UTC);
    }

    private TestClock(AtomicLong millis, ZoneId zone) {
        this.millis = millis;
        this.zone = zone;
    }

    void advance(Duration duration) {
        millis.addAndGet(duration.toMillis());
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** The same hand-moved time, seen in another zone. */
    @Override
    public Clock withZone(ZoneId zone) {
        return new TestClock(millis, zone);
    }

    /** Settings from key-value pairs, with automatic rotation off unless given. */
    static AuthSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put(AuthSettings.ROTATE_EVERY_S, "0");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return AuthSettings.fromProperties(values::get);
    }
}
