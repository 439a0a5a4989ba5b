package dev.parley.http;

import dev.parley.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

import javax.net.ssl.X509KeyManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A certificate chain and its private key, read from PEM files and checked the way a client would
 * find out too late: each file readable, the key the certificate's own, every certificate valid now
 * and each one signed by the next. What Vert.x serves is exactly the bytes checked here.
 */
public final class TlsCertificate {

    /** An expiry this close is a warning in the log and on {@code /observe/health}. */
    public static final Duration WARN_WITHIN = Duration.ofDays(14);

    private final byte[] certPem;
    private final byte[] keyPem;
    private final List<X509Certificate> chain;
    private final X509KeyManager keyManager;

    private TlsCertificate(byte[] certPem, byte[] keyPem, List<X509Certificate> chain, X509KeyManager keyManager) {
        this.certPem = certPem;
        this.keyPem = keyPem;
        this.chain = chain;
        this.keyManager = keyManager;
    }

    /** Vert.x's own reading of the files, and the key it found. */
    private record Parsed(X509KeyManager keyManager, PrivateKey key) {
    }

    /**
     * Reads and checks both files.
     *
     * @throws IllegalArgumentException naming the setting ({@code parley.tls.cert} or {@code .key}), its
     *                                  environment variable and the problem; never quoting the key
     */
    public static TlsCertificate read(TlsSettings settings, Instant now) {
        return check(settings, readFile(TlsSettings.CERT, settings.cert(), "PEM certificate"),
                readFile(TlsSettings.KEY, settings.key(), "PEM private key"), now);
    }

    /** Checks the files' contents, read already. */
    static TlsCertificate check(TlsSettings settings, byte[] certPem, byte[] keyPem, Instant now) {
        List<X509Certificate> chain = parseChain(settings.cert(), certPem);
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            if (now.isAfter(c.getNotAfter().toInstant())) {
                throw invalid(TlsSettings.CERT, settings.cert(), "a certificate valid now: " + name(i, c) + " expired on "
                        + c.getNotAfter().toInstant());
            }
            if (now.isBefore(c.getNotBefore().toInstant())) {
                throw invalid(TlsSettings.CERT, settings.cert(), "a certificate valid now: " + name(i, c)
                        + " is valid only from " + c.getNotBefore().toInstant() + " (is this machine's clock right?)");
            }
            if (i > 0) {
                try {
                    chain.get(i - 1).verify(c.getPublicKey());
                } catch (GeneralSecurityException e) {
                    throw invalid(TlsSettings.CERT, settings.cert(), "the server's certificate first, then each one that"
                            + " signed the one before it; " + name(i, c) + " did not sign " + name(i - 1, chain.get(i - 1)));
                }
            }
        }
        Parsed parsed = parseKey(settings, chain.get(0), certPem, keyPem);
        PrivateKey key = parsed.key();
        String algorithm = signatureAlgorithm(key);
        if (algorithm == null) {
            throw invalid(TlsSettings.KEY, settings.key(), "an RSA, EC or EdDSA key; this one is " + key.getAlgorithm());
        }
        if (!matches(key, algorithm, chain.get(0))) {
            throw mismatch(settings, chain.get(0), "this " + key.getAlgorithm() + " key is another one");
        }
        return new TlsCertificate(certPem, keyPem, chain, parsed.keyManager());
    }

    /** What the server serves: the bytes checked, not the files, which may have changed since. */
    X509KeyManager keyManager() {
        return keyManager;
    }

    /** The server's own certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** When the first certificate of the chain to expire does. */
    public Instant notAfter() {
        return chain.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo).orElseThrow();
    }

    /** Whether these are the same files' contents. */
    boolean sameAs(byte[] cert, byte[] key) {
        return Arrays.equals(certPem, cert) && Arrays.equals(keyPem, key);
    }

    /** A warning when the chain expires within {@link #WARN_WITHIN}, or has expired. */
    public Optional<String> expiryWarning(Instant now) {
        Instant end = notAfter();
        if (now.plus(WARN_WITHIN).isBefore(end)) {
            return Optional.empty();
        }
        X509Certificate first = chain.stream().filter(c -> c.getNotAfter().toInstant().equals(end)).findFirst().orElseThrow();
        String when = now.isAfter(end) ? "expired on " + end
                : "expires on " + end + " (in " + Duration.between(now, end).toDays() + " days)";
        return Optional.of("The TLS certificate " + subject(first) + " " + when + ": put a renewed certificate and key in "
                + TlsSettings.CERT + " and " + TlsSettings.KEY + "; Parley picks them up without a restart");
    }

    /** Subject, names and expiry, for the log. */
    public String describe() {
        return subject(leaf()) + " for " + String.join(", ", names(leaf())) + ", valid until " + notAfter()
                + ", issued by " + leaf().getIssuerX500Principal().getName();
    }

    /** The DNS names and IP addresses the certificate is for. */
    public static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = cert.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> name : alternatives) {
                    int type = (Integer) name.get(0);
                    if (type == 2 || type == 7) { // dNSName, iPAddress
                        names.add(String.valueOf(name.get(1)));
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            // a certificate Java parsed has readable extensions; no names then
        }
        return names;
    }

    static byte[] readFile(String setting, Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw invalid(setting, file, "a " + what + " file; there is no such file");
        } catch (AccessDeniedException e) {
            throw invalid(setting, file, "a " + what + " file that Parley may read; it may not (permissions)");
        } catch (IOException e) {
            throw invalid(setting, file, "a readable " + what + " file (" + e.getClass().getSimpleName()
                    + (Files.isDirectory(file) ? ": it is a directory" : "") + ")");
        }
    }

    private static List<X509Certificate> parseChain(Path file, byte[] pem) {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (var cert : factory.generateCertificates(new ByteArrayInputStream(pem))) {
                chain.add((X509Certificate) cert);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw invalid(TlsSettings.CERT, file, "PEM certificates (-----BEGIN CERTIFICATE-----), the server's first ("
                    + e.getMessage() + ")");
        }
        if (chain.isEmpty()) {
            throw invalid(TlsSettings.CERT, file, "PEM certificates (-----BEGIN CERTIFICATE-----), the server's first;"
                    + " it holds none");
        }
        return chain;
    }

    /** Parsed by Vert.x itself, so what passes here is what it will serve. */
    private static Parsed parseKey(TlsSettings settings, X509Certificate leaf, byte[] certPem, byte[] keyPem) {
        Path file = settings.key();
        String accepted = "an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, or RSA or EC PRIVATE KEY)";
        if (new String(keyPem, StandardCharsets.US_ASCII).contains("ENCRYPTED")) {
            throw invalid(TlsSettings.KEY, file, accepted + "; this one is encrypted, and Parley has no passphrase:"
                    + " decrypt it with openssl pkey -in key.pem -out key-plain.pem");
        }
        try {
            PemKeyCertOptions pem = new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem))
                    .setKeyValue(Buffer.buffer(keyPem));
            KeyStore store = pem.loadKeyStore(null);
            X509KeyManager manager = (X509KeyManager) pem.getKeyManagerFactory(null).getKeyManagers()[0];
            PrivateKey key = manager.getPrivateKey(store.aliases().nextElement());
            if (key != null) {
                return new Parsed(manager, key);
            }
        } catch (Exception e) {
            if (String.valueOf(e.getMessage()).contains("does not match")) {
                // the key parsed, but Java's key store refuses it beside a certificate of another algorithm
                throw mismatch(settings, leaf, "this key is not " + leaf.getPublicKey().getAlgorithm() + " like the certificate's");
            }
            throw invalid(TlsSettings.KEY, file, accepted + " (" + e.getMessage() + ")");
        }
        throw invalid(TlsSettings.KEY, file, accepted);
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, String algorithm, X509Certificate cert) {
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // a key of another algorithm than the certificate's
        }
    }

    private static IllegalArgumentException mismatch(TlsSettings settings, X509Certificate leaf, String problem) {
        return invalid(TlsSettings.KEY, settings.key(), "the private key of the certificate in " + TlsSettings.CERT + "="
                + settings.cert() + " (" + subject(leaf) + "); " + problem);
    }

    private static String name(int index, X509Certificate cert) {
        return "certificate " + (index + 1) + " (" + subject(cert) + ")";
    }

    private static String subject(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName();
    }

    private static IllegalArgumentException invalid(String setting, Path file, String accepted) {
        return Config.invalid(setting, file.toString(), accepted);
    }
}
