package dev.parley.http;

import dev.parley.testing.TestCertificates;
import dev.parley.testing.TestCertificates.Pair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up checks of the certificate and key files, each bad case with the message it gives. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsCertificateTest {

    private TestCertificates ca;
    private Pair good;
    private Pair other;

    @BeforeAll
    void makeCertificates() throws Exception {
        ca = TestCertificates.create();
        good = ca.server("good", 30);
        other = ca.server("other", 30);
    }

    @Test
    void readsAChainWithItsKeyInEachPemFormat() throws Exception {
        TlsCertificate c = read(good.cert(), good.key());
        assertEquals(good.serial(), c.leaf().getSerialNumber());
        assertTrue(TlsCertificate.names(c.leaf()).containsAll(java.util.List.of("127.0.0.1", "localhost", TestCertificates.HOST)));
        assertTrue(c.expiryWarning(Instant.now()).isEmpty(), "30 days is no warning");
        assertTrue(c.describe().contains("127.0.0.1") && c.describe().contains("Intermediate"), c.describe());

        Path sec1 = ca.dir().resolve("good.sec1.key");
        ca.openssl("ec", "-in", good.key().toString(), "-out", sec1.toString());
        assertTrue(Files.readString(sec1).contains("BEGIN EC PRIVATE KEY"));
        read(good.cert(), sec1);

        Pair rsa = ca.server("rsa", 30, "rsa", "rsa_keygen_bits:2048");
        read(rsa.cert(), rsa.key());
        Path pkcs1 = ca.dir().resolve("rsa.pkcs1.key");
        ca.openssl("rsa", "-in", rsa.key().toString(), "-traditional", "-out", pkcs1.toString());
        assertTrue(Files.readString(pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        read(rsa.cert(), pkcs1);
    }

    @Test
    void aMissingFileOrADirectoryNamesTheSetting() {
        refused(TlsSettings.CERT, "there is no such file", () -> read(ca.dir().resolve("missing.pem"), good.key()));
        refused(TlsSettings.KEY, "there is no such file", () -> read(good.cert(), ca.dir().resolve("missing.key")));
        refused(TlsSettings.KEY, "it is a directory", () -> read(good.cert(), ca.dir()));
    }

    @Test
    void aKeyThatIsNotAnUnencryptedPemKeyIsRefusedWithoutQuotingIt() throws Exception {
        Path garbage = ca.dir().resolve("garbage.key");
        Files.writeString(garbage, "SECRET-LOOKING-TEXT 0123456789\n");
        String message = refused(TlsSettings.KEY, "an unencrypted PEM private key", () -> read(good.cert(), garbage));
        assertFalse(message.contains("SECRET-LOOKING-TEXT"), message);

        Path encrypted = ca.dir().resolve("encrypted.key");
        ca.openssl("pkey", "-in", good.key().toString(), "-aes256", "-passout", "pass:secret", "-out", encrypted.toString());
        refused(TlsSettings.KEY, "this one is encrypted", () -> read(good.cert(), encrypted));

        refused(TlsSettings.KEY, "an unencrypted PEM private key", () -> read(good.cert(), good.cert()));
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        refused(TlsSettings.KEY, "the private key of the certificate in parley.tls.cert=" + good.cert(),
                () -> read(good.cert(), other.key()));
        Pair rsa = assertDoesNotFail(() -> ca.server("rsa-other", 30, "rsa", "rsa_keygen_bits:2048"));
        refused(TlsSettings.KEY, "the private key of the certificate in parley.tls.cert=" + good.cert(),
                () -> read(good.cert(), rsa.key()));
    }

    @Test
    void anExpiredCertificateIsRefusedAndOneExpiringWithinTwoWeeksIsAWarning() throws Exception {
        Pair expired = ca.server("expired", -1);
        refused(TlsSettings.CERT, "expired on", () -> read(expired.cert(), expired.key()));

        Pair soon = ca.server("soon", 5);
        TlsCertificate c = read(soon.cert(), soon.key());
        String warning = c.expiryWarning(Instant.now()).orElseThrow();
        assertTrue(warning.contains("expires on") && warning.contains("in 4 days"), warning);
        assertTrue(warning.contains(TlsSettings.CERT), warning);
        assertTrue(c.expiryWarning(Instant.now().minus(Duration.ofDays(10))).isEmpty(), "15 days before, no warning");
        assertTrue(c.expiryWarning(Instant.now().plus(Duration.ofDays(6))).orElseThrow().contains("expired on"));
    }

    @Test
    void aChainOutOfOrderOrWithoutCertificatesIsRefused() throws Exception {
        String pem = Files.readString(good.cert());
        int second = pem.indexOf("-----BEGIN CERTIFICATE-----", 1);
        Path reversed = ca.dir().resolve("reversed.pem");
        Files.writeString(reversed, pem.substring(second) + pem.substring(0, second));
        refused(TlsSettings.CERT, "did not sign", () -> read(reversed, good.key()));

        refused(TlsSettings.CERT, "PEM certificates", () -> read(good.key(), good.key()));
        Path empty = ca.dir().resolve("empty.pem");
        Files.writeString(empty, "");
        refused(TlsSettings.CERT, "PEM certificates", () -> read(empty, good.key()));
    }

    @Test
    void bothFilesOrNeither() {
        assertNull(TlsSettings.fromProperties(Map.<String, String>of()::get));
        refused(TlsSettings.KEY, "TLS needs both files", () -> TlsSettings.fromProperties(Map.of(TlsSettings.CERT, "a.pem")::get));
        refused(TlsSettings.CERT, "TLS needs both files", () -> TlsSettings.fromProperties(Map.of(TlsSettings.KEY, "a.key")::get));
        TlsSettings both = TlsSettings.fromProperties(Map.of(TlsSettings.CERT, "a.pem", TlsSettings.KEY, "a.key")::get);
        assertEquals(Path.of("a.pem"), both.cert());
    }

    private static TlsCertificate read(Path cert, Path key) {
        return TlsCertificate.read(new TlsSettings(cert, key), Instant.now());
    }

    /** Asserts the message names the setting, its environment variable and the problem; returns it. */
    private static String refused(String setting, String problem, org.junit.jupiter.api.function.Executable read) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, read);
        String message = e.getMessage();
        System.out.println(message);
        assertTrue(message.contains(setting + "="), message);
        assertTrue(message.contains("env " + dev.parley.Config.envName(setting)), message);
        assertTrue(message.contains(problem), message);
        return message;
    }

    private static <T> T assertDoesNotFail(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
