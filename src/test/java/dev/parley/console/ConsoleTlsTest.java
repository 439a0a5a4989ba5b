package dev.parley.console;

import dev.parley.http.TlsSettings;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under TLS the staff cookie is Secure and host-only (the __Host- prefix), so it never travels in
 * cleartext; and sign-in attempts from one address are bounded as token requests are.
 */
@Timeout(120)
class ConsoleTlsTest {

    @Test
    void underTlsTheStaffCookieIsSecureAndHostOnly() throws Exception {
        TestCertificates ca = TestCertificates.create();
        TestCertificates.Pair pair = ca.server("console", 30);
        try (ParleyServer parley = ParleyServer.start(Map.of(TlsSettings.CERT, pair.cert().toString(),
                TlsSettings.KEY, pair.key().toString(), "parley.console.staff", "erin:erin-staff-key-0123456789",
                "parley.auth.rate-limit.burst", "3", "parley.auth.rate-limit.per-minute", "1"), ca.clientContext())) {
            HttpResponse<String> in = StaffClient.signInForm(parley, "erin", "erin-staff-key-0123456789");
            assertEquals(303, in.statusCode());
            String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
            assertTrue(cookie.startsWith("__Host-parley_staff=") && cookie.contains("Secure") && cookie.contains("Path=/")
                    && !cookie.contains("Domain") && cookie.contains("SameSite=Strict"), cookie);
            StaffClient erin = StaffClient.signIn(parley, "erin", "erin-staff-key-0123456789");
            assertEquals("erin", erin.json("/console/me").path("name").asText());
            assertEquals(401, StaffClient.signInForm(parley, "erin", "a-guess-at-erins-key-000").statusCode());
            HttpResponse<String> refused = StaffClient.signInForm(parley, "erin", "another-guess-at-the-key");
            assertEquals(429, refused.statusCode(), "three attempts a minute from one address here");
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        }
    }
}
