package dev.parley.translate;

import dev.parley.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The translator's settings: {@code parley.translator} picks the engine, {@code parley.translator.<engine>.*}
 * configure it. Each engine's settings are read (and refused, naming the property and its
 * environment variable) only when that engine is chosen, so a missing DeepL key does not stop an
 * Apertium start.
 */
public final class TranslatorSettings {

    public static final String ENGINE = "parley.translator";
    public static final String TIMEOUT_MS = "parley.translator.timeout-ms";
    public static final String APERTIUM_MODES_DIR = "parley.translator.apertium.modes-dir";
    public static final String APERTIUM_PIPELINES_PER_PAIR = "parley.translator.apertium.pipelines-per-pair";
    public static final String APERTIUM_WARM_PAIRS = "parley.translator.apertium.warm-pairs";
    public static final String APY_URL = "parley.translator.apy.url";
    public static final String LIBRETRANSLATE_URL = "parley.translator.libretranslate.url";
    public static final String LIBRETRANSLATE_API_KEY = "parley.translator.libretranslate.api-key";
    public static final String OPENAI_BASE_URL = "parley.translator.openai.base-url";
    public static final String OPENAI_MODEL = "parley.translator.openai.model";
    public static final String OPENAI_API_KEY = "parley.translator.openai.api-key";
    public static final String OPENAI_LANGUAGES = "parley.translator.openai.languages";
    public static final String DEEPL_BASE_URL = "parley.translator.deepl.base-url";
    public static final String DEEPL_API_KEY = "parley.translator.deepl.api-key";

    public static final List<String> ENGINES = List.of("apertium", "apy", "libretranslate", "openai", "deepl");
    public static final int DEFAULT_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_PIPELINES_PER_PAIR = 1;
    public static final String DEFAULT_OPENAI_LANGUAGES = "en,es,fr,de,it,pt,nl,ca,pl,ru,uk,zh,ja,ko,ar,hi";

    private final Config config;
    private final Function<String, String> env;

    private TranslatorSettings(Function<String, String> lookup, Function<String, String> env) {
        this.config = new Config(lookup);
        this.env = env;
    }

    /** Properties from {@code lookup}; the vendors' own variables (OPENAI_API_KEY, DEEPL_API_KEY) from the environment. */
    public static TranslatorSettings fromProperties(Function<String, String> lookup) {
        return new TranslatorSettings(lookup, System::getenv);
    }

    static TranslatorSettings fromProperties(Function<String, String> lookup, Function<String, String> env) {
        return new TranslatorSettings(lookup, env);
    }

    public String engine() {
        String name = config.string(ENGINE, "apertium").toLowerCase(Locale.ROOT);
        if (!ENGINES.contains(name)) {
            throw Config.invalid(ENGINE, name, "one of " + String.join(", ", ENGINES));
        }
        return name;
    }

    public Duration timeout() {
        return config.millis(TIMEOUT_MS, DEFAULT_TIMEOUT_MS, 100, 600_000);
    }

    public Path apertiumModesDir() {
        return Path.of(config.string(APERTIUM_MODES_DIR, ApertiumTranslator.DEFAULT_MODES_DIR.toString()));
    }

    public int apertiumPipelinesPerPair() {
        return config.integer(APERTIUM_PIPELINES_PER_PAIR, DEFAULT_PIPELINES_PER_PAIR, 1, 16);
    }

    /** Pairs whose pipelines start with Parley, as {@code {from, to}}: from {@code en-es,en-ca}. */
    public List<String[]> apertiumWarmPairs() {
        List<String[]> pairs = new ArrayList<>();
        for (String item : list(APERTIUM_WARM_PAIRS, "")) {
            String[] parts = item.split("-");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                throw Config.invalid(APERTIUM_WARM_PAIRS, config.string(APERTIUM_WARM_PAIRS, ""),
                        "a comma-separated list of pairs such as en-es,en-ca");
            }
            pairs.add(parts);
        }
        return pairs;
    }

    public URI apyUrl() {
        return url(APY_URL, required(APY_URL, "the URL of the Apertium APy server, e.g. http://127.0.0.1:2737"));
    }

    public URI libreTranslateUrl() {
        return url(LIBRETRANSLATE_URL, required(LIBRETRANSLATE_URL,
                "the URL of the LibreTranslate server, e.g. http://127.0.0.1:5000"));
    }

    /** Null when the server needs no key. */
    public String libreTranslateApiKey() {
        return config.string(LIBRETRANSLATE_API_KEY, null);
    }

    public URI openAiBaseUrl() {
        return url(OPENAI_BASE_URL, config.string(OPENAI_BASE_URL, OpenAiTranslator.DEFAULT_BASE_URL));
    }

    public String openAiModel() {
        return config.string(OPENAI_MODEL, OpenAiTranslator.DEFAULT_MODEL);
    }

    /** Required for api.openai.com; optional for another (local) OpenAI-compatible server. */
    public String openAiApiKey() {
        String key = config.string(OPENAI_API_KEY, env.apply("OPENAI_API_KEY"));
        boolean official = openAiBaseUrl().getHost().equalsIgnoreCase("api.openai.com");
        if ((key == null || key.isBlank()) && official) {
            throw missing(OPENAI_API_KEY, "an OpenAI API key (or set OPENAI_API_KEY)");
        }
        return key;
    }

    public List<String> openAiLanguages() {
        List<String> codes = new ArrayList<>();
        for (String item : list(OPENAI_LANGUAGES, DEFAULT_OPENAI_LANGUAGES)) {
            String code = LanguageCodes.normalize(item);
            if (LanguageCodes.toIso1(code).isEmpty()) {
                throw Config.invalid(OPENAI_LANGUAGES, config.string(OPENAI_LANGUAGES, ""),
                        "ISO 639-1 codes separated by commas, e.g. en,es,fr (" + item + " is not one)");
            }
            codes.add(code);
        }
        if (codes.size() < 2) {
            throw Config.invalid(OPENAI_LANGUAGES, config.string(OPENAI_LANGUAGES, ""), "at least two languages");
        }
        return codes;
    }

    public String deepLApiKey() {
        String key = config.string(DEEPL_API_KEY, env.apply("DEEPL_API_KEY"));
        if (key == null || key.isBlank()) {
            throw missing(DEEPL_API_KEY, "a DeepL API key (or set DEEPL_API_KEY)");
        }
        return key;
    }

    /** Set, or else chosen by the key: DeepL Free keys (ending in :fx) use api-free.deepl.com. */
    public URI deepLBaseUrl() {
        return url(DEEPL_BASE_URL, config.string(DEEPL_BASE_URL, DeepLTranslator.defaultBaseUrl(deepLApiKey())));
    }

    private String required(String key, String what) {
        String value = config.string(key, null);
        if (value == null) {
            throw missing(key, what);
        }
        return value;
    }

    private IllegalArgumentException missing(String key, String what) {
        return new IllegalArgumentException("Missing setting " + key + " (env " + Config.envName(key) + "): "
                + ENGINE + "=" + engine() + " needs " + what + ". Set it in application.properties or the "
                + "environment, or choose another " + ENGINE + " (" + String.join(", ", ENGINES) + ").");
    }

    private URI url(String key, String value) {
        try {
            URI uri = URI.create(value.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw Config.invalid(key, value, "an http:// or https:// URL with a host");
    }

    private List<String> list(String key, String fallback) {
        List<String> items = new ArrayList<>();
        for (String item : config.string(key, fallback).split(",")) {
            if (!item.isBlank()) {
                items.add(item.strip());
            }
        }
        return items;
    }
}
