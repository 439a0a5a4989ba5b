package dev.parley.security;

import dev.parley.Config;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Counts the WebSockets open with a token (anonymous: tokens are free) per client address, and
 * refuses one more beyond {@code parley.auth.max-anonymous-per-address}. Addresses are keyed as the
 * token rate limit keys them (IPv6 per /64; the last {@code X-Forwarded-For} entry when trusted).
 * Connections with an API key, and telephony, are not counted.
 */
public final class AnonymousConnections {

    public static final String MAX_PER_ADDRESS = "parley.auth.max-anonymous-per-address";
    public static final int DEFAULT_MAX_PER_ADDRESS = 4;

    private final int maxPerAddress;
    private final boolean trustForwardedFor;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public AnonymousConnections(int maxPerAddress, boolean trustForwardedFor) {
        if (maxPerAddress < 1) {
            throw new IllegalArgumentException("maxPerAddress must be at least 1, not " + maxPerAddress);
        }
        this.maxPerAddress = maxPerAddress;
        this.trustForwardedFor = trustForwardedFor;
    }

    /** Reads {@value #MAX_PER_ADDRESS}; which address counts follows {@link AuthSettings#trustForwardedFor()}. */
    public static AnonymousConnections fromProperties(Function<String, String> lookup, AuthSettings auth) {
        return new AnonymousConnections(new Config(lookup).integer(MAX_PER_ADDRESS, DEFAULT_MAX_PER_ADDRESS, 1, 100_000),
                auth.trustForwardedFor());
    }

    public int maxPerAddress() {
        return maxPerAddress;
    }

    /**
     * One more anonymous connection from this client: a release to run once it has closed (running
     * it again does nothing), or null when the client has {@link #maxPerAddress()} open already.
     */
    public Runnable tryOpen(String remoteAddress, String forwardedFor) {
        String client = RateLimiter.clientKey(trustForwardedFor && forwardedFor != null
                && !forwardedFor.substring(forwardedFor.lastIndexOf(',') + 1).isBlank()
                ? forwardedFor.substring(forwardedFor.lastIndexOf(',') + 1).trim() : remoteAddress);
        boolean[] taken = new boolean[1];
        open.compute(client, (k, n) -> {
            int now = n == null ? 0 : n;
            taken[0] = now < maxPerAddress;
            return taken[0] ? now + 1 : n;
        });
        if (!taken[0]) {
            return null;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                open.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
            }
        };
    }

    /** Anonymous connections open now from this client address (as keyed). */
    int openFrom(String address) {
        return open.getOrDefault(RateLimiter.clientKey(address), 0);
    }

    /** The close reason a refused connection gets: fits a close frame. */
    public String refusal() {
        return "Too many connections from your address with a token (" + MAX_PER_ADDRESS + "=" + maxPerAddress + ")";
    }
}
