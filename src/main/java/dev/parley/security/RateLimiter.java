package dev.parley.security;

import io.netty.util.NetUtil;

import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket per client address: {@code burst} requests at once, then {@code perMinute} a
 * minute. IPv6 clients share a bucket per /64, the block one subscriber usually holds, or one host
 * could take a fresh address for every request. A bucket that has refilled is the same as none,
 * so idle ones are dropped; beyond {@value #MAX_CLIENTS} active clients, new ones wait.
 */
public final class RateLimiter {

    /** Allowed, or refused until {@code retryAfterSeconds} (at least 1) have passed. */
    public record Decision(boolean allowed, long retryAfterSeconds) {
        static final Decision ALLOWED = new Decision(true, 0);
    }

    static final int MAX_CLIENTS = 100_000;

    /**
     * Tokens counted in sixty-thousandths, so {@code perMinute} of them come back each millisecond
     * and the arithmetic is exact. Immutable, so a sweep removes a bucket only if no request changed it.
     */
    private record Bucket(long units, long at) {
    }

    private static final long UNIT = 60_000;

    private final long perMinute;
    private final long capacity;
    private final boolean trustForwardedFor;
    private final Clock clock;
    private final int maxClients;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong nextSweep = new AtomicLong();

    public RateLimiter(AuthSettings settings, Clock clock) {
        this(settings.ratePerMinute(), settings.burst(), settings.trustForwardedFor(), clock, MAX_CLIENTS);
    }

    RateLimiter(int perMinute, int burst, boolean trustForwardedFor, Clock clock, int maxClients) {
        this.perMinute = perMinute;
        this.capacity = burst * UNIT;
        this.trustForwardedFor = trustForwardedFor;
        this.clock = clock;
        this.maxClients = maxClients;
    }

    /** Takes one request from the address's bucket. */
    public Decision tryAcquire(String address) {
        long now = clock.millis();
        sweepIfDue(now);
        String client = clientKey(address);
        if (buckets.size() >= maxClients && !buckets.containsKey(client)) {
            return new Decision(false, secondsFor(UNIT));
        }
        Decision[] decision = new Decision[1];
        buckets.compute(client, (key, bucket) -> {
            long units = refilled(bucket, now);
            if (units >= UNIT) {
                decision[0] = Decision.ALLOWED;
                return new Bucket(units - UNIT, now);
            }
            decision[0] = new Decision(false, secondsFor(UNIT - units));
            return new Bucket(units, now);
        });
        return decision[0];
    }

    /** The TCP peer, or the last {@code X-Forwarded-For} entry (the one the trusted proxy added) when trusted. */
    public String clientAddress(String remoteAddress, String forwardedFor) {
        if (trustForwardedFor && forwardedFor != null) {
            String last = forwardedFor.substring(forwardedFor.lastIndexOf(',') + 1).trim();
            if (!last.isEmpty()) {
                return last;
            }
        }
        return remoteAddress;
    }

    static String clientKey(String address) {
        byte[] ip = address == null ? null : NetUtil.createByteArrayFromIpAddressString(address);
        if (ip == null) {
            return String.valueOf(address);
        }
        if (ip.length == 16 && isIpv4Mapped(ip)) {
            ip = Arrays.copyOfRange(ip, 12, 16);
        }
        if (ip.length == 4) {
            return NetUtil.bytesToIpAddress(ip);
        }
        Arrays.fill(ip, 8, 16, (byte) 0);
        return NetUtil.bytesToIpAddress(ip) + "/64";
    }

    private static boolean isIpv4Mapped(byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xff && ip[11] == (byte) 0xff;
    }

    private long refilled(Bucket bucket, long now) {
        if (bucket == null) {
            return capacity;
        }
        // capped first: past a full refill the product could overflow after a clock jump
        long elapsed = Math.min(Math.max(0, now - bucket.at), capacity);
        return Math.min(capacity, bucket.units + elapsed * perMinute);
    }

    private long secondsFor(long units) {
        long millis = (units + perMinute - 1) / perMinute;
        return Math.max(1, (millis + 999) / 1000);
    }

    /** Drops refilled buckets, at most once a second so a flood of new addresses cannot make it costly. */
    private void sweepIfDue(long now) {
        long due = nextSweep.get();
        if (now >= due && nextSweep.compareAndSet(due, now + 1000)) {
            buckets.entrySet().removeIf(entry -> refilled(entry.getValue(), now) == capacity);
        }
    }
}
