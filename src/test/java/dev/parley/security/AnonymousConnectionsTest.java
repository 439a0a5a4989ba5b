package dev.parley.security;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnonymousConnectionsTest {

    @Test
    void anAddressHoldsAtMostItsBoundUntilOneIsReleasedOnce() {
        AnonymousConnections bound = new AnonymousConnections(2, false);
        Runnable a = bound.tryOpen("192.0.2.1", null);
        Runnable b = bound.tryOpen("192.0.2.1", null);
        assertNotNull(a);
        assertNotNull(b);
        assertNull(bound.tryOpen("192.0.2.1", null), "a third from the same address");
        assertNotNull(bound.tryOpen("192.0.2.2", null), "another address has its own");
        a.run();
        a.run(); // a second release does nothing
        assertEquals(1, bound.openFrom("192.0.2.1"));
        assertNotNull(bound.tryOpen("192.0.2.1", null));
        assertNull(bound.tryOpen("192.0.2.1", null));
        assertTrue(bound.refusal().contains("parley.auth.max-anonymous-per-address=2"), bound.refusal());
    }

    @Test
    void ipv6ClientsShareTheirSlash64AndAForwardedAddressCountsOnlyWhenTrusted() {
        AnonymousConnections bound = new AnonymousConnections(1, false);
        assertNotNull(bound.tryOpen("2001:db8:1:2::10", null));
        assertNull(bound.tryOpen("2001:db8:1:2::ffff", null), "the same /64");
        assertNotNull(bound.tryOpen("2001:db8:1:3::10", null));
        assertNotNull(bound.tryOpen("10.0.0.1", "198.51.100.7"));
        assertNull(bound.tryOpen("10.0.0.1", "198.51.100.8"), "untrusted: the proxy's address counts");

        AnonymousConnections behindProxy = new AnonymousConnections(1, true);
        assertNotNull(behindProxy.tryOpen("10.0.0.1", "203.0.113.9, 198.51.100.7"));
        assertNotNull(behindProxy.tryOpen("10.0.0.1", "198.51.100.8"), "trusted: the last forwarded address counts");
        assertNull(behindProxy.tryOpen("10.0.0.1", "198.51.100.7"));
    }
}
