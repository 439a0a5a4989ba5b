package dev.parley.security;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimiterTest {

    private final TestClock clock = new TestClock();
    /** The defaults: 30 a minute (one every 2 s), 10 at once. */
    private final RateLimiter limiter = new RateLimiter(TestClock.settings(), clock);

    @Test
    void aClientGetsItsBurstThenIsToldWhenToRetry() {
        takeBurst("198.51.100.7");
        RateLimiter.Decision refused = limiter.tryAcquire("198.51.100.7");
        assertFalse(refused.allowed());
        assertEquals(2, refused.retryAfterSeconds());
    }

    @Test
    void otherAddressesAreUnaffected() {
        takeBurst("198.51.100.7");
        assertFalse(limiter.tryAcquire("198.51.100.7").allowed());
        takeBurst("198.51.100.8");
        takeBurst("2001:db8:1:2::1");
    }

    @Test
    void theBucketRefillsOverTime() {
        takeBurst("198.51.100.7");
        clock.advance(Duration.ofMillis(1_999));
        RateLimiter.Decision almost = limiter.tryAcquire("198.51.100.7");
        assertFalse(almost.allowed());
        assertEquals(1, almost.retryAfterSeconds(), "whole seconds, rounded up");
        clock.advance(Duration.ofMillis(1));
        assertTrue(limiter.tryAcquire("198.51.100.7").allowed());
        assertFalse(limiter.tryAcquire("198.51.100.7").allowed());

        clock.advance(Duration.ofHours(1));
        takeBurst("198.51.100.7");
        assertFalse(limiter.tryAcquire("198.51.100.7").allowed(), "never more than the burst");
    }

    @Test
    void anIpv6ClientIsLimitedPerSlash64() {
        takeBurst("2001:db8:1:2::1");
        assertFalse(limiter.tryAcquire("2001:db8:1:2:ffff:eeee:dddd:cccc").allowed());
        assertFalse(limiter.tryAcquire("[2001:db8:1:2:0:0:0:9]").allowed());
        assertTrue(limiter.tryAcquire("2001:db8:1:3::1").allowed());

        takeBurst("192.0.2.1");
        assertFalse(limiter.tryAcquire("::ffff:192.0.2.1").allowed(), "an IPv4-mapped address is the IPv4 client");
    }

    @Test
    void idleClientsAreForgottenAndBeyondTheBoundNewOnesWait() {
        RateLimiter small = new RateLimiter(30, 10, false, clock, 2);
        assertTrue(small.tryAcquire("192.0.2.1").allowed());
        assertTrue(small.tryAcquire("192.0.2.2").allowed());
        RateLimiter.Decision third = small.tryAcquire("192.0.2.3");
        assertFalse(third.allowed());
        assertTrue(third.retryAfterSeconds() >= 1);
        assertTrue(small.tryAcquire("192.0.2.1").allowed(), "known clients go on");

        clock.advance(Duration.ofSeconds(4));
        assertTrue(small.tryAcquire("192.0.2.3").allowed(), "refilled buckets were dropped");
    }

    @Test
    void forwardedForNamesTheClientOnlyWhenTrusted() {
        RateLimiter trusting = new RateLimiter(TestClock.settings(AuthSettings.TRUST_FORWARDED_FOR, "true"), clock);
        assertEquals("10.0.0.1", limiter.clientAddress("10.0.0.1", "203.0.113.9"));
        assertEquals("10.0.0.1", limiter.clientAddress("10.0.0.1", null));
        assertEquals("203.0.113.9", trusting.clientAddress("10.0.0.1", "198.51.100.1, 203.0.113.9"),
                "the entry the proxy appended, not the one the client wrote");
        assertEquals("10.0.0.1", trusting.clientAddress("10.0.0.1", " "));
    }

    private void takeBurst(String address) {
        for (int i = 0; i < 10; i++) {
            assertTrue(limiter.tryAcquire(address).allowed(), address + " request " + (i + 1));
        }
    }
}
