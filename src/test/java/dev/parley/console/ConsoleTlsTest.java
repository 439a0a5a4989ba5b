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

/** Under TLS the staff cookie is Secure and host-only (the __Host- prefix), so it never travels in cleartext. */
@Timeout(120)
class ConsoleTlsTest {

    @Test
    void underTlsTheStaffCookieIsSecureAndHostOnly() throws Exception {
        TestCertificates ca = TestCertificates.create();
        TestCertificates.Pair pair = ca.server("console", 30);
        try (ParleyServer parley = ParleyServer.start(Map.of(TlsSettings.CERT, pair.cert().toString(),
                TlsSettings.KEY, pair.key().toString(), "parley.console.staff", "erin:erin-staff-key-0123456789"), ca.clientContext())) {
            HttpResponse<String> in = StaffClient.signInForm(parley, "erin", "erin-staff-key-0123456789");
            assertEquals(303, in.statusCode());
            String cookie = in.headers().firstValue("Set-Cookie").orElseThrow();
            assertTrue(cookie.startsWith("__Host-parley_staff=") && cookie.contains("Secure") && cookie.contains("Path=/")
                    && !cookie.contains("Domain") && cookie.contains("SameSite=Strict"), cookie);
            StaffClient erin = StaffClient.signIn(parley, "erin", "erin-staff-key-0123456789");
            assertEquals("erin", erin.json("/console/me").path("name").asText());
        }
    }
}
