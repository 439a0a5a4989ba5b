package dev.parley.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.X509ExtendedKeyManager;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The certificate Parley serves, re-read when its files change, so that an operator (or certbot)
 * rotates it without a restart: new connections get the new one, open ones keep theirs. A pair that
 * does not pass the start-up checks (say the certificate is written and the key not yet) is not
 * installed; the current one stays until the files hold a good pair again.
 */
public final class TlsReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);
    private static final Duration POLL_EVERY = Duration.ofSeconds(2);

    private final TlsSettings settings;
    private final Clock clock;
    private volatile TlsCertificate current;
    private final RotatingKeyManager keyManager;
    /** The contents last refused, so that a bad pair is reported once, not at every poll. */
    private byte[] refused;
    private boolean warned;
    private ScheduledExecutorService scheduler;

    private TlsReloader(TlsSettings settings, Clock clock, TlsCertificate first) {
        this.settings = settings;
        this.clock = clock;
        this.current = first;
        this.keyManager = new RotatingKeyManager(first);
    }

    /**
     * Reads and checks the files once.
     *
     * @throws IllegalArgumentException naming the setting and the problem, to stop start-up
     */
    public static TlsReloader read(TlsSettings settings, Clock clock) {
        TlsReloader reloader = new TlsReloader(settings, clock, TlsCertificate.read(settings, clock.instant()));
        reloader.warnOfExpiry();
        return reloader;
    }

    public TlsSettings settings() {
        return settings;
    }

    /** The certificate new connections get. */
    public TlsCertificate current() {
        return current;
    }

    /** The key manager for the server: it always serves the current certificate. */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** Starts watching the files; each good new pair is served to new connections. */
    public synchronized void watch() {
        if (scheduler != null) {
            throw new IllegalStateException("already watching " + settings);
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "parley-tls-files");
            thread.setDaemon(true);
            return thread;
        });
        long millis = POLL_EVERY.toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                poll();
            } catch (RuntimeException e) {
                // an exception would cancel every later poll
                LOG.warn("Checking the TLS files failed; keeping the current certificate", e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Compares the files' contents (not their times: a copy may keep them) with what is served. */
    private void poll() {
        byte[] cert;
        byte[] key;
        try {
            cert = TlsCertificate.readFile(TlsSettings.CERT, settings.cert(), "PEM certificate");
            key = TlsCertificate.readFile(TlsSettings.KEY, settings.key(), "PEM private key");
        } catch (IllegalArgumentException e) {
            refuse(e.getMessage().getBytes(), e.getMessage());
            return;
        }
        if (current.sameAs(cert, key)) {
            refused = null;
            warnOfExpiry();
            return;
        }
        byte[] both = concat(cert, key);
        if (Arrays.equals(both, refused)) {
            return;
        }
        TlsCertificate next;
        try {
            next = TlsCertificate.check(settings, cert, key, clock.instant());
        } catch (IllegalArgumentException e) {
            refuse(both, e.getMessage());
            return;
        }
        keyManager.serve(next);
        current = next;
        refused = null;
        warned = false;
        LOG.info("TLS certificate replaced: new connections get {}; open connections keep theirs", next.describe());
        warnOfExpiry();
    }

    private void refuse(byte[] contents, String why) {
        if (!Arrays.equals(contents, refused)) {
            refused = contents;
            LOG.warn("The TLS files changed but are not usable yet; still serving {}. {}", current.describe(), why);
        }
    }

    private void warnOfExpiry() {
        if (!warned) {
            current.expiryWarning(clock.instant()).ifPresent(warning -> {
                warned = true;
                LOG.warn(warning);
            });
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length + 1);
        both[a.length] = 0;
        System.arraycopy(b, 0, both, a.length + 1, b.length);
        return both;
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null; // a server started again watches again
        }
    }
}
