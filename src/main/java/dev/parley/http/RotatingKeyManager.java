package dev.parley.http;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * The key manager the TLS server keeps for good: each handshake gets the certificate installed last.
 * Vert.x 4.5's own {@code HttpServer.updateSSLOptions} drops every connection accepted while it builds
 * the new context (a NullPointerException in {@code TCPServerBase}); swapping what this key manager
 * serves has no such window. Aliases carry the certificate's generation, so a handshake that chose its
 * alias just before a swap still gets that certificate's own chain and key.
 */
final class RotatingKeyManager extends X509ExtendedKeyManager {

    /** One installed certificate: its generation and Vert.x's key manager for it. */
    private record Served(long generation, X509KeyManager keys) {
        String alias(String inner) {
            return inner == null ? null : generation + ":" + inner;
        }
    }

    private volatile Served current;
    private volatile Served previous;

    RotatingKeyManager(TlsCertificate first) {
        current = new Served(0, first.keyManager());
    }

    /** New handshakes get {@code next}; ones under way finish with the certificate they chose. */
    synchronized void serve(TlsCertificate next) {
        previous = current;
        current = new Served(current.generation() + 1, next.keyManager());
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        Served s = current;
        return s.alias(s.keys() instanceof X509ExtendedKeyManager e ? e.chooseEngineServerAlias(keyType, issuers, engine)
                : s.keys().chooseServerAlias(keyType, issuers, null));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        Served s = current;
        return s.alias(s.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        Served s = current;
        String[] inner = s.keys().getServerAliases(keyType, issuers);
        if (inner == null) {
            return null;
        }
        String[] aliases = new String[inner.length];
        for (int i = 0; i < inner.length; i++) {
            aliases[i] = s.alias(inner[i]);
        }
        return aliases;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Served s = servedBy(alias);
        return s == null ? null : s.keys().getCertificateChain(inner(alias));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Served s = servedBy(alias);
        return s == null ? null : s.keys().getPrivateKey(inner(alias));
    }

    /** The installed certificate an alias names, if it is still the current one or the one before. */
    private Served servedBy(String alias) {
        int colon = alias == null ? -1 : alias.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String generation = alias.substring(0, colon);
        for (Served s : new Served[] {current, previous}) {
            if (s != null && Long.toString(s.generation()).equals(generation)) {
                return s;
            }
        }
        return null;
    }

    private static String inner(String alias) {
        return alias.substring(alias.indexOf(':') + 1);
    }

    // A server has no client certificate.

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
