package dev.parley.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Client of the DeepL API: {@code POST {base}/v2/translate} with {@code Authorization: DeepL-Auth-Key}
 * and JSON {@code {text: [..], source_lang, target_lang}} answering
 * {@code {translations: [{detected_source_language, text}]}}; pairs from
 * {@code GET /v2/languages?type=source|target}.
 */
public final class DeepLTranslator implements Translator {

    public static final String FREE_BASE_URL = "https://api-free.deepl.com";
    public static final String PRO_BASE_URL = "https://api.deepl.com";

    private final String base;
    private final String apiKey;
    private final HttpJson http;
    private final CachedPairs pairs = new CachedPairs(this::fetchPairs);

    public DeepLTranslator(URI baseUrl, String apiKey, Duration timeout) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("DeepL needs an API key");
        }
        this.base = HttpJson.trimSlash(baseUrl.toString());
        this.apiKey = apiKey.strip();
        this.http = new HttpJson("DeepL", timeout);
    }

    /** DeepL Free keys end in {@code :fx} and only work on the free host; other keys on the Pro host. */
    public static String defaultBaseUrl(String apiKey) {
        return apiKey == null || apiKey.strip().endsWith(":fx") ? FREE_BASE_URL : PRO_BASE_URL;
    }

    @Override
    public String name() {
        return "deepl";
    }

    @Override
    public Map<String, Set<String>> pairs() {
        return pairs.get();
    }

    @Override
    public CompletableFuture<String> translate(String text, String from, String to) {
        String src = LanguageCodes.normalize(from);
        String dst = LanguageCodes.normalize(to);
        CompletableFuture<String> trivial = Translators.nothingToTranslate(text, src, dst);
        if (trivial != null) {
            return trivial;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", List.of(text));
        body.put("source_lang", src.toUpperCase(Locale.ROOT));
        body.put("target_lang", dst.toUpperCase(Locale.ROOT));
        var request = http.request(URI.create(base + "/v2/translate"))
                .header("Authorization", "DeepL-Auth-Key " + apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpJson.body(body))
                .build();
        return http.send(request, f -> failure(f, from, to),
                json -> http.text(json, "/translations/0/text"));
    }

    private static TranslationException failure(HttpJson.Failure f, String from, String to) {
        return switch (f.status()) {
            case 400 -> new TranslationException("DeepL cannot translate " + from + " to " + to + ": "
                    + f.serverMessage());
            case 401, 403 -> new TranslationException("DeepL rejected the API key (" + f.status() + "): set a valid "
                    + "key in parley.translator.deepl.api-key or DEEPL_API_KEY (Free keys end in :fx and use "
                    + FREE_BASE_URL + ")");
            case 429 -> new TranslationException("DeepL is rate limiting us (429); try again later");
            case 456 -> new TranslationException("DeepL character quota used up (456)");
            default -> f.status() >= 500
                    ? new TranslationException("DeepL had a server error (HTTP " + f.status() + "); try again later")
                    : new TranslationException("DeepL failed (HTTP " + f.status() + "): " + f.serverMessage());
        };
    }

    private Map<String, Set<String>> fetchPairs() {
        Set<String> sources = languages("source");
        Set<String> targets = languages("target");
        Map<String, Set<String>> out = new HashMap<>();
        sources.forEach(s -> out.put(s, targets));
        return out;
    }

    /** DeepL lists targets with variants (EN-GB, PT-BR, ZH-HANS): each counts as its base language. */
    private Set<String> languages(String type) {
        var request = http.request(URI.create(base + "/v2/languages?type=" + type))
                .header("Authorization", "DeepL-Auth-Key " + apiKey)
                .GET()
                .build();
        JsonNode json = http.sendAndWait(request, f -> f.status() == 401 || f.status() == 403 ? failure(f, "", "")
                : new TranslationException("DeepL did not list its " + type + " languages (HTTP " + f.status()
                        + "): " + f.serverMessage()));
        Set<String> codes = new LinkedHashSet<>();
        for (JsonNode language : json) {
            String code = LanguageCodes.normalize(language.path("language").asText());
            LanguageCodes.toIso1(code).ifPresent(codes::add);
        }
        return codes;
    }

    @Override
    public void close() {
        http.close();
    }
}
