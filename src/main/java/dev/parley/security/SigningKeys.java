package dev.parley.security;

import dev.parley.Config;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The keyring that signs tokens: one current key, and earlier keys that still verify the tokens
 * they signed. A key that stops being current (by {@link #rotate()}, automatic rotation, or leaving
 * the keys file) is kept for one token lifetime, so no token dies before its expiry. Keys are named
 * by an id derived from their hash; the keys themselves are never logged or printed.
 */
public final class SigningKeys implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
    private static final Duration POLL_EVERY = Duration.ofSeconds(2);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;
    private final long graceMillis;
    /** First the current key, then the earlier ones; replaced whole so readers never lock. */
    private volatile List<Key> keys = List.of();
    private ScheduledExecutorService scheduler;
    private FileStamp seen;

    private SigningKeys(Clock clock, Duration tokenTtl) {
        this.clock = clock;
        this.graceMillis = tokenTtl.toMillis();
    }

    /**
     * The keys the settings name: the keys file (re-read when it changes), else the configured key,
     * else a random key replaced every {@code rotate-every-s}. Configured keys are never replaced
     * automatically, since other instances may share them.
     *
     * @throws IllegalArgumentException if the keys file cannot be read or holds a bad key
     */
    public static SigningKeys start(AuthSettings settings, Clock clock) {
        return start(settings, clock, POLL_EVERY);
    }

    static SigningKeys start(AuthSettings settings, Clock clock, Duration pollEvery) {
        SigningKeys ring = new SigningKeys(clock, settings.tokenTtl());
        Path file = settings.keysFile();
        if (file != null) {
            ring.seen = FileStamp.of(file);
            ring.install(read(file));
            ring.schedule(() -> ring.pollKeysFile(file), pollEvery);
            LOG.info("Signing tokens with key {} from {}, re-read when it changes", ring.currentKeyId(), file);
        } else if (settings.signingKey() != null) {
            ring.install(List.of(settings.signingKey()));
            LOG.info("Signing tokens with the configured key {}", ring.currentKeyId());
        } else {
            ring.install(List.of(randomKey()));
            if (!settings.rotateEvery().isZero()) {
                ring.schedule(ring::rotate, settings.rotateEvery());
            }
            LOG.info("Signing tokens with key {} generated at start; tokens do not outlive a restart",
                    ring.currentKeyId());
        }
        return ring;
    }

    /** Makes a new random key current; the previous one keeps verifying its tokens until they expire. */
    public synchronized void rotate() {
        List<byte[]> listed = new ArrayList<>();
        listed.add(randomKey());
        keys.stream().skip(1).filter(Key::listed).forEach(key -> listed.add(key.secret));
        install(listed);
        LOG.info("Signing key rotated: now {}", currentKeyId());
    }

    /** The id of the key that signs new tokens. */
    public String currentKeyId() {
        return current().id;
    }

    Key current() {
        return keys.get(0);
    }

    /** The key with this id that may still verify a token now, or null. */
    Key find(String id) {
        long now = clock.millis();
        for (Key key : keys) {
            if (key.id.equals(id) && now < key.notAfter) {
                return key;
            }
        }
        return null;
    }

    /** Makes {@code listed} the accepted keys (the first signs), retiring any other key for one token lifetime. */
    private synchronized void install(List<byte[]> listed) {
        long now = clock.millis();
        Map<String, Key> next = new LinkedHashMap<>();
        for (byte[] secret : listed) {
            Key key = new Key(secret, Long.MAX_VALUE);
            next.putIfAbsent(key.id, key);
        }
        for (Key old : keys) {
            if (!next.containsKey(old.id) && now < old.notAfter) {
                next.put(old.id, old.listed() ? new Key(old.secret, now + graceMillis) : old);
            }
        }
        keys = List.copyOf(next.values());
    }

    private void schedule(Runnable task, Duration every) {
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "parley-signing-keys");
            thread.setDaemon(true);
            return thread;
        });
        long millis = every.toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                // an exception would cancel every later run
                LOG.warn("Signing key maintenance failed; keeping the current keys", e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void pollKeysFile(Path file) {
        FileStamp stamp = FileStamp.of(file);
        if (stamp.equals(seen)) {
            return;
        }
        seen = stamp;
        try {
            install(read(file));
            LOG.info("Re-read {}: signing with key {}", file, currentKeyId());
        } catch (IllegalArgumentException e) {
            LOG.warn("Keeping the current signing keys: {}", e.getMessage());
        }
    }

    /** One base64 key a line, the first signs; blank lines and {@code #} comments are skipped. */
    private static List<byte[]> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw Config.invalid(AuthSettings.KEYS_FILE, file.toString(),
                    "a readable file (" + e.getClass().getSimpleName() + ")");
        }
        List<byte[]> secrets = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                secrets.add(AuthSettings.decodeKey(line, AuthSettings.KEYS_FILE));
            } catch (IllegalArgumentException e) {
                throw Config.invalid(AuthSettings.KEYS_FILE, file.toString(),
                        "one key a line, each " + AuthSettings.KEY_HINT + "; line " + (i + 1) + " is not");
            }
        }
        if (secrets.isEmpty()) {
            throw Config.invalid(AuthSettings.KEYS_FILE, file.toString(),
                    "at least one key, " + AuthSettings.KEY_HINT);
        }
        return secrets;
    }

    private static byte[] randomKey() {
        byte[] key = new byte[AuthSettings.MIN_KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "SigningKeys" + keys;
    }

    /** A key and the last moment it verifies tokens ({@code Long.MAX_VALUE} while listed). */
    static final class Key {

        final String id;
        private final byte[] secret;
        private final SecretKeySpec spec;
        private final long notAfter;

        private Key(byte[] secret, long notAfter) {
            this.secret = secret;
            this.spec = new SecretKeySpec(secret, "HmacSHA256");
            this.notAfter = notAfter;
            this.id = Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(secret)).substring(0, 8);
        }

        private boolean listed() {
            return notAfter == Long.MAX_VALUE;
        }

        byte[] sign(byte[] data) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(spec);
                return mac.doFinal(data);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is unavailable", e);
            }
        }

        @Override
        public String toString() {
            return id;
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    /** What changes when an operator edits the keys file; a missing file has no stamp. */
    private record FileStamp(FileTime modified, long size) {
        static FileStamp of(Path file) {
            try {
                return new FileStamp(Files.getLastModifiedTime(file), Files.size(file));
            } catch (IOException e) {
                return new FileStamp(null, -1);
            }
        }
    }
}
