package dev.parley.http;

import dev.parley.testing.TestCertificates;
import dev.parley.testing.TestCertificates.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handshakes keep succeeding while the certificate is replaced again and again: no connection is
 * refused at the moment of a swap. (Vert.x 4.5.22's updateSSLOptions dropped about one connection in
 * sixteen here, with a stack trace, while it built the new context.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsRotationTest {

    @Test
    void noHandshakeFailsWhileTheCertificateIsReplaced() throws Exception {
        TestCertificates ca = TestCertificates.create();
        Pair a = ca.server("a", 30);
        Pair b = ca.server("b", 30, "rsa", "rsa_keygen_bits:2048");
        Pair served = new Pair(ca.dir().resolve("served.pem"), ca.dir().resolve("served.key"));
        Files.copy(a.cert(), served.cert());
        Files.copy(a.key(), served.key());
        HttpServer server = new HttpServer("127.0.0.1", 0, 1 << 20, false,
                TlsReloader.read(new TlsSettings(served.cert(), served.key()), Clock.systemUTC()));
        server.router().get("/ping").handler(rc -> rc.response().end("pong"));
        PrintStream stderr = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logged, true));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger handshakes = new AtomicInteger();
        Map<BigInteger, Integer> seen = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<BigInteger> last = new AtomicReference<>();
        try {
            server.start();
            SSLContext client = ca.clientContext();
            // One client after the other, as fast as they come, full handshakes (no session to resume).
            Thread clients = new Thread(() -> {
                while (!stop.get() && failure.get() == null) {
                    try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                        socket.setSoTimeout(10_000);
                        socket.startHandshake();
                        BigInteger serial = ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
                        seen.merge(serial, 1, Integer::sum);
                        last.set(serial);
                        socket.getSession().invalidate();
                        handshakes.incrementAndGet();
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }
            });
            clients.start();
            for (Pair next : List.of(b, a, b, a)) {
                replace(next.cert(), served.cert());
                replace(next.key(), served.key());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!next.serial().equals(last.get()) && failure.get() == null && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(null, failure.get(), "a handshake failed during the swap to " + next.cert());
                assertEquals(next.serial(), last.get(), "not swapped within 10 s");
                Thread.sleep(500);
            }
            stop.set(true);
            clients.join();
        } finally {
            stop.set(true);
            System.setErr(stderr);
            server.stop();
        }
        System.out.println(handshakes + " handshakes, by certificate: " + seen);
        assertEquals(null, failure.get());
        assertTrue(seen.get(a.serial()) > 0 && seen.get(b.serial()) > 0, seen.toString());
        String log = logged.toString();
        // (The pair may be seen half-copied, which is a warning of Parley's own; nothing from Vert.x or Netty.)
        assertFalse(log.contains("Exception") || log.matches("(?s).*WARN (io\\.netty|io\\.vertx).*"), log);
        assertTrue(log.contains("TLS certificate replaced"), log);
    }

    private static void replace(Path from, Path to) throws Exception {
        Path part = to.resolveSibling(to.getFileName() + ".part");
        Files.copy(from, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
