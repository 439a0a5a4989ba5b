package dev.parley.tts;

import dev.parley.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Builds the synthesizer that {@code parley.tts} names, from properties. Every key can be set in
 * {@code application.properties} or by its environment variable (upper case, dots and dashes as
 * underscores). Bad values fail here, at start-up, naming the property and its variable.
 *
 * <pre>
 * parley.tts                          espeak (default, embedded) | openai
 * parley.tts.timeout-ms               per utterance, from request to audio (10000; 100..600000)
 * parley.tts.threads                  utterances at once (espeak: cores; openai: 8; 1..64)
 * parley.tts.max-queued               utterances waiting beyond those, more are refused (100; 0..10000)
 * parley.tts.espeak.voice.&lt;lang&gt;      eSpeak voice for an ISO 639-1 language, e.g. .gl = pt, .en = en-us
 * parley.tts.espeak.words-per-minute  speaking rate (175; 80..450)
 * parley.tts.espeak.command           the espeak-ng executable (espeak-ng)
 * parley.tts.openai.base-url          https://api.openai.com (requests go to {base}/v1/audio/speech)
 * parley.tts.openai.model             gpt-4o-mini-tts
 * parley.tts.openai.voice             alloy
 * parley.tts.openai.api-key           the key; else the environment variable OPENAI_API_KEY
 * </pre>
 */
public final class Synthesizers {

    public static final String ENGINE = "parley.tts";
    public static final String TIMEOUT_MS = "parley.tts.timeout-ms";
    public static final String THREADS = "parley.tts.threads";
    public static final String MAX_QUEUED = "parley.tts.max-queued";
    public static final String ESPEAK_VOICE_PREFIX = "parley.tts.espeak.voice.";
    public static final String ESPEAK_WPM = "parley.tts.espeak.words-per-minute";
    public static final String ESPEAK_COMMAND = "parley.tts.espeak.command";
    public static final String OPENAI_BASE_URL = "parley.tts.openai.base-url";
    public static final String OPENAI_MODEL = "parley.tts.openai.model";
    public static final String OPENAI_VOICE = "parley.tts.openai.voice";
    public static final String OPENAI_API_KEY = "parley.tts.openai.api-key";

    public static final int DEFAULT_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_MAX_QUEUED = 100;
    public static final int DEFAULT_OPENAI_THREADS = 8;

    private Synthesizers() {
    }

    /**
     * The configured synthesizer.
     *
     * @param lookup a property's value, or null when unset (environment variables already applied)
     * @throws IllegalArgumentException naming the property, its environment variable and what it takes
     * @throws IllegalStateException if the engine cannot run here (espeak-ng missing)
     */
    public static Synthesizer create(Function<String, String> lookup) {
        Config config = new Config(lookup);
        String engine = config.string(ENGINE, EspeakSynthesizer.NAME).toLowerCase(Locale.ROOT);
        Duration timeout = config.millis(TIMEOUT_MS, DEFAULT_TIMEOUT_MS, 100, 600_000);
        int maxQueued = config.integer(MAX_QUEUED, DEFAULT_MAX_QUEUED, 0, 10_000);
        return switch (engine) {
            case EspeakSynthesizer.NAME -> new EspeakSynthesizer(espeakSettings(config, timeout, maxQueued));
            case OpenAiSynthesizer.NAME -> new OpenAiSynthesizer(openAiSettings(config, timeout, maxQueued));
            default -> throw Config.invalid(ENGINE, engine,
                    "one of: espeak (embedded), openai");
        };
    }

    static EspeakSynthesizer.Settings espeakSettings(Config config, Duration timeout, int maxQueued) {
        int threads = config.integer(THREADS, Runtime.getRuntime().availableProcessors(), 1, 64);
        int wpm = config.integer(ESPEAK_WPM, EspeakSynthesizer.Settings.DEFAULT_WORDS_PER_MINUTE, 80, 450);
        String command = config.string(ESPEAK_COMMAND, "espeak-ng");
        Map<String, String> voices = new TreeMap<>();
        for (String lang : Locale.getISOLanguages()) { // every ISO 639-1 code: overrides may add languages
            String voice = config.string(ESPEAK_VOICE_PREFIX + lang, null);
            if (voice != null) {
                voices.put(lang, voice);
            }
        }
        return new EspeakSynthesizer.Settings(command, voices, wpm, timeout, threads, maxQueued);
    }

    static OpenAiSynthesizer.Settings openAiSettings(Config config, Duration timeout, int maxQueued) {
        int threads = config.integer(THREADS, DEFAULT_OPENAI_THREADS, 1, 64);
        String base = config.string(OPENAI_BASE_URL, OpenAiSynthesizer.DEFAULT_BASE_URL);
        URI baseUrl;
        try {
            baseUrl = new URI(base);
        } catch (URISyntaxException e) {
            throw Config.invalid(OPENAI_BASE_URL, base, "an http(s) URL such as " + OpenAiSynthesizer.DEFAULT_BASE_URL);
        }
        if (baseUrl.getScheme() == null || !baseUrl.getScheme().matches("(?i)https?") || baseUrl.getHost() == null
                || baseUrl.getQuery() != null || baseUrl.getFragment() != null || baseUrl.getUserInfo() != null) {
            throw Config.invalid(OPENAI_BASE_URL, base, "an http(s) URL such as " + OpenAiSynthesizer.DEFAULT_BASE_URL
                    + " (no query, fragment or credentials)");
        }
        String model = config.string(OPENAI_MODEL, OpenAiSynthesizer.DEFAULT_MODEL);
        String voice = config.string(OPENAI_VOICE, OpenAiSynthesizer.DEFAULT_VOICE);
        String key = config.string(OPENAI_API_KEY, null);
        if (key == null) {
            String env = System.getenv(OpenAiSynthesizer.API_KEY_ENV);
            key = env == null || env.isBlank() ? null : env.trim();
        }
        if (key == null) {
            throw new IllegalArgumentException("Missing setting " + OPENAI_API_KEY + " (env "
                    + Config.envName(OPENAI_API_KEY) + ", or " + OpenAiSynthesizer.API_KEY_ENV + "): "
                    + ENGINE + "=openai needs an OpenAI API key. Set one, or set " + ENGINE + "=espeak.");
        }
        if (key.chars().anyMatch(c -> c <= 0x20 || c >= 0x7F)) {
            throw new IllegalArgumentException("Invalid setting " + OPENAI_API_KEY + " (env "
                    + Config.envName(OPENAI_API_KEY) + ", or " + OpenAiSynthesizer.API_KEY_ENV
                    + "): the key contains spaces or non-ASCII characters (value not shown). Paste the key alone.");
        }
        return new OpenAiSynthesizer.Settings(baseUrl, model, voice, key, timeout, threads, maxQueued);
    }
}
