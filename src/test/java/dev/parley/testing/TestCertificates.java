package dev.parley.testing;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test certificate authority made with {@code openssl} (Debian package openssl) at test time: a root,
 * an intermediate it signed, and server certificates the intermediate signs, for 127.0.0.1, localhost
 * and {@value #HOST}. A server's certificate file holds its chain (server, then intermediate), as a
 * real one does; clients trust the root only.
 */
public final class TestCertificates {

    /** A name that is not loopback for a browser (it resolves to 127.0.0.1 by Chromium's own rules). */
    public static final String HOST = "parley.test";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A server's files: {@code cert} (server, then intermediate) and {@code key}. */
    public record Pair(Path cert, Path key) {
        /** The server certificate's serial number, which tells two certificates apart. */
        public BigInteger serial() throws Exception {
            return leaf().getSerialNumber();
        }

        public X509Certificate leaf() throws Exception {
            try (InputStream in = Files.newInputStream(cert)) {
                return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
        }
    }

    private final Path dir;
    private final Path root;
    private final Path rootKey;
    private final Path intermediate;
    private final Path intermediateKey;
    private int made;

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.root = dir.resolve("root.pem");
        this.rootKey = dir.resolve("root.key");
        this.intermediate = dir.resolve("intermediate.pem");
        this.intermediateKey = dir.resolve("intermediate.key");
    }

    /** A new authority in a new folder under {@code target/}. */
    public static TestCertificates create() throws IOException, InterruptedException {
        Files.createDirectories(Path.of("target"));
        TestCertificates ca = new TestCertificates(Files.createTempDirectory(Path.of("target"), "tls"));
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca.rootKey.toString(), "-out", ca.root.toString(), "-days", "30", "-subj", "/CN=Parley Test Root CA");
        Path csr = ca.dir.resolve("intermediate.csr");
        ca.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca.intermediateKey.toString(), "-out", csr.toString(), "-subj", "/CN=Parley Test Intermediate CA");
        ca.sign(csr, ca.root, ca.rootKey, ca.intermediate, 30, "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                + "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        return ca;
    }

    /** The root certificate, which clients trust. */
    public Path root() {
        return root;
    }

    public Path dir() {
        return dir;
    }

    /** A server certificate with an EC P-256 key, valid for {@code days} (negative: expired that long ago). */
    public Pair server(String name, int days) throws IOException, InterruptedException {
        return server(name, days, "ec", "ec_paramgen_curve:P-256");
    }

    /**
     * A server certificate signed by the intermediate, its file holding the chain.
     *
     * @param algorithm {@code ec} or {@code rsa}
     * @param keyOption e.g. {@code ec_paramgen_curve:P-256} or {@code rsa_keygen_bits:2048}
     */
    public Pair server(String name, int days, String algorithm, String keyOption) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path leaf = dir.resolve(name + ".leaf.pem");
        openssl("req", "-newkey", algorithm, "-pkeyopt", keyOption, "-nodes", "-keyout", key.toString(),
                "-out", csr.toString(), "-subj", "/CN=" + name + " " + (++made));
        sign(csr, intermediate, intermediateKey, leaf, days, "basicConstraints=CA:FALSE\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                + "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:" + HOST + "\n"
                + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        Path chain = dir.resolve(name + ".pem");
        Files.writeString(chain, Files.readString(leaf) + Files.readString(intermediate));
        return new Pair(chain, key);
    }

    /** A TLS context that trusts the root only, as a client configured with the test CA. */
    public SSLContext clientContext() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(root)) {
            trust.setCertificateEntry("parley-test-root", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private void sign(Path csr, Path issuer, Path issuerKey, Path out, int days, String extensions)
            throws IOException, InterruptedException {
        Path ext = dir.resolve(out.getFileName() + ".ext");
        Files.writeString(ext, extensions);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", issuer.toString(), "-CAkey", issuerKey.toString(),
                "-set_serial", "0x" + new BigInteger(63, RANDOM).toString(16), "-days", Integer.toString(days),
                "-sha256", "-extfile", ext.toString(), "-out", out.toString());
    }

    /** Runs openssl, failing with its output when it fails. */
    public String openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
