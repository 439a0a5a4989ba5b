package dev.parley.webhook;

import dev.parley.Config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Where and how Parley delivers signed webhooks. Every value is checked when the settings are built,
 * so a bad secret or URL stops start-up with a message naming the property and its environment variable.
 *
 * @param urls              endpoints that receive every event, each independently (http or https)
 * @param secret            Standard Webhooks signing secret: {@code whsec_} + base64 of at least 24 random bytes;
 *                          required when there are URLs, never logged
 * @param dir               spool directory: {@code pending/} and {@code dead/} live below it
 * @param maxAttempts       attempts per delivery (the first one included) before it is dead-lettered; 0: no
 *                          limit but {@code giveUpAfter}
 * @param initialBackoff    wait after the first failed attempt
 * @param maxBackoff        cap on the wait between attempts (and on a receiver's {@code Retry-After})
 * @param backoffMultiplier growth of the wait per failed attempt; each wait is jittered to 50-100 % of it
 * @param giveUpAfter       how long after its event (or its replay) a delivery is still tried: the last attempt
 *                          is made then, and if it fails the delivery is dead-lettered
 * @param requestTimeout    connect and response timeout of one attempt
 * @param concurrency       requests in flight at once per URL
 * @param fsync             {@code parley.fsync}: force each spool file, and its directory, to the disk before
 *                          {@link WebhookDispatcher#enqueue} returns (else it is written to the OS only)
 */
public record WebhookSettings(List<URI> urls, String secret, Path dir, int maxAttempts, Duration initialBackoff,
                              Duration maxBackoff, double backoffMultiplier, Duration giveUpAfter, Duration requestTimeout,
                              int concurrency, boolean fsync) {

    public static final String URLS = "parley.webhooks.urls";
    public static final String SECRET = "parley.webhooks.secret";
    public static final String DIR = "parley.webhooks.dir";
    public static final String MAX_ATTEMPTS = "parley.webhooks.max-attempts";
    public static final String INITIAL_BACKOFF_MS = "parley.webhooks.initial-backoff-ms";
    public static final String MAX_BACKOFF_MS = "parley.webhooks.max-backoff-ms";
    public static final String BACKOFF_MULTIPLIER = "parley.webhooks.backoff-multiplier";
    public static final String GIVE_UP_AFTER_S = "parley.webhooks.give-up-after-s";
    public static final String TIMEOUT_MS = "parley.webhooks.timeout-ms";
    public static final String CONCURRENCY = "parley.webhooks.concurrency";

    public static final Path DEFAULT_DIR = Path.of("./webhooks");
    /**
     * The default schedule: 1 s, doubling to hourly, for 24 hours, so a receiver down for a day loses nothing
     * (eight attempts in 64-127 s were the old default). README, "Webhooks", lists its attempt times.
     */
    public static final int DEFAULT_MAX_ATTEMPTS = 0;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofHours(1);
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    public static final Duration DEFAULT_GIVE_UP_AFTER = Duration.ofHours(24);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_CONCURRENCY = 4;

    /** Standard Webhooks asks for secrets of 24 to 64 bytes. */
    static final int MIN_SECRET_BYTES = 24;
    static final String SECRET_PREFIX = "whsec_";
    private static final String SECRET_HINT = "Set it to whsec_ followed by the base64 of at least "
            + MIN_SECRET_BYTES + " random bytes, e.g. whsec_$(head -c 32 /dev/urandom | base64), and give the "
            + "same value to every receiver.";

    public WebhookSettings {
        urls = checkUrls(urls);
        if (!urls.isEmpty() || secret != null) {
            checkSecret(secret);
        }
        if (dir == null) {
            throw invalid(DIR, "null", "a directory path for the webhook spool");
        }
        if (maxAttempts < 0) {
            throw invalid(MAX_ATTEMPTS, String.valueOf(maxAttempts), "a whole number of at least 0 (0: no limit)");
        }
        if (initialBackoff == null || initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw invalid(INITIAL_BACKOFF_MS, String.valueOf(initialBackoff), "a positive number of milliseconds");
        }
        if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
            throw invalid(MAX_BACKOFF_MS, maxBackoff == null ? "null" : String.valueOf(maxBackoff.toMillis()),
                    "at least " + INITIAL_BACKOFF_MS + " (" + initialBackoff.toMillis() + ")");
        }
        if (!(backoffMultiplier >= 1.0 && backoffMultiplier <= 10.0)) {
            throw invalid(BACKOFF_MULTIPLIER, String.valueOf(backoffMultiplier), "a number from 1 to 10");
        }
        if (giveUpAfter == null || giveUpAfter.isNegative() || giveUpAfter.isZero()) {
            throw invalid(GIVE_UP_AFTER_S, String.valueOf(giveUpAfter), "a positive number of seconds");
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw invalid(TIMEOUT_MS, String.valueOf(requestTimeout), "a positive number of milliseconds");
        }
        if (concurrency < 1 || concurrency > 64) {
            throw invalid(CONCURRENCY, String.valueOf(concurrency), "a whole number from 1 to 64");
        }
    }

    /** Settings with every default except the endpoints, the secret and the spool directory. */
    public static WebhookSettings of(List<String> urls, String secret, Path dir) {
        return new WebhookSettings(urls.stream().map(WebhookSettings::parseUrl).toList(), secret, dir,
                DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_BACKOFF_MULTIPLIER,
                DEFAULT_GIVE_UP_AFTER, DEFAULT_TIMEOUT, DEFAULT_CONCURRENCY, false);
    }

    /**
     * Reads {@code parley.webhooks.*} through the lookup (properties, then environment). No URLs means
     * webhooks are off; then the secret may be absent.
     */
    public static WebhookSettings fromProperties(Function<String, String> lookup) {
        Config config = new Config(lookup);
        List<URI> urls = new ArrayList<>();
        String list = config.string(URLS, "");
        for (String part : list.split(",")) {
            if (!part.isBlank()) {
                urls.add(parseUrl(part.trim()));
            }
        }
        String secret = config.string(SECRET, null);
        Path dir = Path.of(config.string(DIR, DEFAULT_DIR.toString()));
        int maxAttempts = config.integer(MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 0, 100_000);
        Duration initial = config.millis(INITIAL_BACKOFF_MS, DEFAULT_INITIAL_BACKOFF.toMillis(), 1, 86_400_000);
        Duration max = config.millis(MAX_BACKOFF_MS, DEFAULT_MAX_BACKOFF.toMillis(), 1, 86_400_000);
        if (max.compareTo(initial) < 0) {
            throw invalid(MAX_BACKOFF_MS, String.valueOf(max.toMillis()),
                    "at least " + INITIAL_BACKOFF_MS + " (" + initial.toMillis() + ")");
        }
        double multiplier = DEFAULT_BACKOFF_MULTIPLIER;
        String rawMultiplier = config.string(BACKOFF_MULTIPLIER, null);
        if (rawMultiplier != null) {
            try {
                multiplier = Double.parseDouble(rawMultiplier);
            } catch (NumberFormatException e) {
                multiplier = Double.NaN;
            }
            if (!(multiplier >= 1.0 && multiplier <= 10.0)) {
                throw invalid(BACKOFF_MULTIPLIER, rawMultiplier, "a number from 1 to 10");
            }
        }
        Duration giveUpAfter = config.seconds(GIVE_UP_AFTER_S, DEFAULT_GIVE_UP_AFTER.toSeconds(), 1, 30 * 86_400);
        Duration timeout = config.millis(TIMEOUT_MS, DEFAULT_TIMEOUT.toMillis(), 1, 600_000);
        int concurrency = config.integer(CONCURRENCY, DEFAULT_CONCURRENCY, 1, 64);
        return new WebhookSettings(urls, secret, dir, maxAttempts, initial, max, multiplier, giveUpAfter, timeout,
                concurrency, config.bool("parley.fsync", false));
    }

    public WebhookSettings withDir(Path newDir) {
        return new WebhookSettings(urls, secret, newDir, maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
                giveUpAfter, requestTimeout, concurrency, fsync);
    }

    public WebhookSettings withUrls(List<String> newUrls) {
        return new WebhookSettings(newUrls.stream().map(WebhookSettings::parseUrl).toList(), secret, dir, maxAttempts,
                initialBackoff, maxBackoff, backoffMultiplier, giveUpAfter, requestTimeout, concurrency, fsync);
    }

    public WebhookSettings withRetries(int newMaxAttempts, Duration newInitialBackoff, Duration newMaxBackoff) {
        return new WebhookSettings(urls, secret, dir, newMaxAttempts, newInitialBackoff, newMaxBackoff,
                backoffMultiplier, giveUpAfter, requestTimeout, concurrency, fsync);
    }

    public WebhookSettings withGiveUpAfter(Duration newGiveUpAfter) {
        return new WebhookSettings(urls, secret, dir, maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
                newGiveUpAfter, requestTimeout, concurrency, fsync);
    }

    public WebhookSettings withRequestTimeout(Duration newTimeout) {
        return new WebhookSettings(urls, secret, dir, maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
                giveUpAfter, newTimeout, concurrency, fsync);
    }

    public WebhookSettings withConcurrency(int newConcurrency) {
        return new WebhookSettings(urls, secret, dir, maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
                giveUpAfter, requestTimeout, newConcurrency, fsync);
    }

    /** True when there is at least one endpoint. */
    public boolean enabled() {
        return !urls.isEmpty();
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "WebhookSettings[urls=" + urls.stream().map(u -> redact(u.toString())).toList()
                + ", secret=" + (secret == null ? "none" : "whsec_***")
                + ", dir=" + dir + ", maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff
                + ", maxBackoff=" + maxBackoff + ", backoffMultiplier=" + backoffMultiplier + ", giveUpAfter=" + giveUpAfter
                + ", requestTimeout=" + requestTimeout + ", concurrency=" + concurrency + "]";
    }

    /** A URL as it may be logged: without user info, query or fragment, which often carry tokens. */
    static String redact(String url) {
        try {
            URI u = URI.create(url);
            String port = u.getPort() < 0 ? "" : ":" + u.getPort();
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            return u.getScheme() + "://" + u.getHost() + port + path + (u.getRawQuery() != null ? "?…" : "");
        } catch (RuntimeException e) {
            return "<unparseable url>";
        }
    }

    private static URI parseUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (Exception e) {
            throw invalid(URLS, raw, "a comma-separated list of http:// or https:// URLs (" + e.getMessage() + ")");
        }
        return uri;
    }

    private static List<URI> checkUrls(List<URI> urls) {
        if (urls == null) {
            return List.of();
        }
        Set<String> seen = new HashSet<>();
        for (URI url : urls) {
            String scheme = url == null || url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw invalid(URLS, String.valueOf(url), "a comma-separated list of http:// or https:// URLs");
            }
            if (url.getHost() == null || url.getHost().isBlank()) {
                throw invalid(URLS, url.toString(), "URLs with a host name, e.g. https://example.com/hooks/parley");
            }
            if (!seen.add(url.toString())) {
                throw invalid(URLS, url.toString(), "each URL once (this one is listed twice)");
            }
        }
        return List.copyOf(urls);
    }

    private static void checkSecret(String secret) {
        String where = SECRET + " (env " + Config.envName(SECRET) + ")";
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("Missing setting " + where + ": webhooks are configured in " + URLS
                    + " but have no signing secret. " + SECRET_HINT);
        }
        if (!secret.startsWith(SECRET_PREFIX)) {
            throw new IllegalArgumentException("Invalid setting " + where + ": the value does not start with "
                    + SECRET_PREFIX + ". " + SECRET_HINT);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid setting " + where + ": the part after " + SECRET_PREFIX
                    + " is not valid base64. " + SECRET_HINT);
        }
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("Invalid setting " + where + ": the key is " + key.length
                    + " bytes, too short to sign with. " + SECRET_HINT);
        }
    }

    private static IllegalArgumentException invalid(String key, String value, String accepted) {
        return Config.invalid(key, value, accepted);
    }
}
