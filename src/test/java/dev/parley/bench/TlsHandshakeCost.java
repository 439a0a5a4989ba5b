package dev.parley.bench;

import dev.parley.http.HttpServer;
import dev.parley.http.TlsReloader;
import dev.parley.http.TlsSettings;
import dev.parley.testing.TestCertificates;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * What a TLS handshake costs per connection: N fresh connections to Parley's own {@link HttpServer},
 * each one request ({@code GET /ping}, {@code Connection: close}), in cleartext and over TLS, in the
 * same run. Reports the client's wall time per connection (connect, handshake, request, answer, close)
 * and the CPU time of the server's Vert.x threads per connection. Client and server share this JVM
 * and the machine's cores; connections go one after the other over loopback.
 * Run: {@code ./parley bench-tls [connections] [warm-up]}.
 */
public final class TlsHandshakeCost {

    private static final byte[] REQUEST = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    /** One way of connecting. */
    private record Mode(String name, HttpServer server, SSLContext tls, String protocol, boolean resume) {
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        TestCertificates ca = TestCertificates.create();
        TestCertificates.Pair ec = ca.server("bench-ec", 30);
        TestCertificates.Pair rsa = ca.server("bench-rsa", 30, "rsa", "rsa_keygen_bits:2048");
        SSLContext client = ca.clientContext();

        HttpServer cleartext = server(null);
        HttpServer ecServer = server(ec);
        HttpServer rsaServer = server(rsa);
        try {
            List<Mode> modes = List.of(
                    new Mode("cleartext HTTP/1.1", cleartext, null, null, false),
                    new Mode("TLS 1.3, ECDSA P-256, full handshake", ecServer, client, "TLSv1.3", false),
                    new Mode("TLS 1.3, RSA 2048, full handshake", rsaServer, client, "TLSv1.3", false),
                    new Mode("TLS 1.2, ECDSA P-256, full handshake", ecServer, client, "TLSv1.2", false),
                    new Mode("TLS 1.3, ECDSA P-256, resumed session", ecServer, client, "TLSv1.3", true));
            System.out.printf("Setup: %d connections per mode after %d unmeasured, one at a time over loopback, each"
                            + " GET /ping with Connection: close, to Parley's HttpServer (Vert.x); client (JDK sockets) and"
                            + " server in one JVM; chain = server + intermediate; %d cores; Java %s; load average %s%n",
                    connections, warmUp, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    loadAverage());
            System.out.printf("%-40s %9s %9s %9s %15s%n", "mode", "p50 ms", "p95 ms", "mean ms", "server CPU ms");
            double[] base = null;
            for (Mode mode : modes) {
                for (int i = 0; i < warmUp; i++) {
                    connect(mode);
                }
                long cpu0 = serverCpuNanos();
                double[] ms = new double[connections];
                for (int i = 0; i < connections; i++) {
                    long t0 = System.nanoTime();
                    connect(mode);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                double cpuMs = (serverCpuNanos() - cpu0) / 1e6 / connections;
                Arrays.sort(ms);
                double[] figures = {ms[connections / 2], ms[(int) (connections * 0.95)], Arrays.stream(ms).average().orElse(0), cpuMs};
                System.out.printf("%-40s %9.2f %9.2f %9.2f %15.3f%s%n", mode.name(), figures[0], figures[1], figures[2], cpuMs,
                        base == null ? "" : String.format("   (+%.2f ms p50, +%.3f ms server CPU)", figures[0] - base[0], cpuMs - base[3]));
                if (base == null) {
                    base = figures;
                }
            }
        } finally {
            for (HttpServer s : List.of(cleartext, ecServer, rsaServer)) {
                s.stop();
            }
        }
    }

    private static HttpServer server(TestCertificates.Pair pair) throws Exception {
        TlsReloader tls = pair == null ? null : TlsReloader.read(new TlsSettings(pair.cert(), pair.key()), Clock.systemUTC());
        HttpServer server = new HttpServer("127.0.0.1", 0, 1 << 20, false, tls);
        server.router().get("/ping").handler(rc -> rc.response().end("pong"));
        server.start();
        return server;
    }

    /** One connection, one request, the whole answer, closed. */
    private static void connect(Mode mode) throws Exception {
        Socket socket;
        if (mode.tls() == null) {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", mode.server().port()));
        } else {
            SSLSocket tls = (SSLSocket) mode.tls().getSocketFactory().createSocket("127.0.0.1", mode.server().port());
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setProtocols(new String[] {mode.protocol()});
            tls.setSSLParameters(parameters);
            socket = tls;
        }
        try (socket) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            out.write(REQUEST);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = in.readAllBytes();
            if (answer.length < 12 || !new String(answer, 0, 12, StandardCharsets.US_ASCII).equals("HTTP/1.1 200")) {
                throw new IllegalStateException(mode.name() + ": " + new String(answer, StandardCharsets.US_ASCII));
            }
            if (socket instanceof SSLSocket tls && !mode.resume()) {
                tls.getSession().invalidate(); // the next connection makes a full handshake
            }
        }
    }

    /** CPU time of every Vert.x thread (event loops, acceptor, workers): the server's share. */
    private static long serverCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("vert.x-")) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static String loadAverage() {
        try {
            return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split(" "), 3));
        } catch (Exception e) {
            return "unknown";
        }
    }

    private TlsHandshakeCost() {
    }
}
