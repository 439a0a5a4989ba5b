package dev.parley.http;

import dev.parley.Config;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where the server's certificate and key are, when Parley serves HTTPS and WSS itself.
 *
 * @param cert PEM certificates: the server's first, then the intermediates that signed it
 * @param key  the server's PEM private key, unencrypted
 */
public record TlsSettings(Path cert, Path key) {

    public static final String CERT = "parley.tls.cert";
    public static final String KEY = "parley.tls.key";

    /** The settings, or null when neither key is set (cleartext); one without the other stops start-up. */
    public static TlsSettings fromProperties(Function<String, String> lookup) {
        Config config = new Config(lookup);
        String cert = config.string(CERT, null);
        String key = config.string(KEY, null);
        if (cert == null && key == null) {
            return null;
        }
        if (key == null) {
            throw Config.invalid(KEY, "", "the PEM private key of " + CERT + "=" + cert + ": TLS needs both files");
        }
        if (cert == null) {
            throw Config.invalid(CERT, "", "the PEM certificate of " + KEY + "=" + key + ": TLS needs both files");
        }
        return new TlsSettings(Path.of(cert), Path.of(key));
    }
}
