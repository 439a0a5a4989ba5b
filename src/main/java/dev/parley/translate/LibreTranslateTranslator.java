package dev.parley.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Client of a LibreTranslate server: {@code POST /translate} with JSON
 * {@code {q, source, target, format: "text", api_key?}} answering {@code {translatedText}}, and
 * {@code GET /languages} answering {@code [{code, name, targets: [...]}]}.
 */
public final class LibreTranslateTranslator implements Translator {

    private final String base;
    private final String apiKey;
    private final HttpJson http;
    private final CachedPairs pairs = new CachedPairs(this::fetchPairs);

    /** @param apiKey null or blank when the server needs none */
    public LibreTranslateTranslator(URI baseUrl, String apiKey, Duration timeout) {
        this.base = HttpJson.trimSlash(baseUrl.toString());
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.http = new HttpJson("LibreTranslate", timeout);
    }

    @Override
    public String name() {
        return "libretranslate";
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
        Map<String, String> body = new LinkedHashMap<>();
        body.put("q", text);
        body.put("source", src);
        body.put("target", dst);
        body.put("format", "text");
        if (apiKey != null) {
            body.put("api_key", apiKey);
        }
        var request = http.request(URI.create(base + "/translate"))
                .header("Content-Type", "application/json")
                .POST(HttpJson.body(body))
                .build();
        return http.send(request, f -> failure(f, from, to),
                json -> http.text(json, "/translatedText"));
    }

    private TranslationException failure(HttpJson.Failure f, String from, String to) {
        return switch (f.status()) {
            case 400 -> new TranslationException("LibreTranslate cannot translate " + from + " to " + to + ": "
                    + f.serverMessage());
            case 403 -> new TranslationException("LibreTranslate refused the request (403): check "
                    + "parley.translator.libretranslate.api-key. " + f.serverMessage());
            case 429 -> new TranslationException("LibreTranslate is rate limiting us (429): " + f.serverMessage());
            default -> new TranslationException("LibreTranslate failed (HTTP " + f.status() + "): " + f.serverMessage());
        };
    }

    private Map<String, Set<String>> fetchPairs() {
        JsonNode json = http.sendAndWait(http.request(URI.create(base + "/languages")).GET().build(),
                f -> new TranslationException("LibreTranslate did not list its languages (HTTP " + f.status()
                        + "): " + f.serverMessage()));
        Map<String, Set<String>> out = new HashMap<>();
        for (JsonNode language : json) {
            // Codes with a script or region (zh-Hant, pt-BR) are left out: Parley speaks ISO 639-1.
            LanguageCodes.toIso1(language.path("code").asText()).ifPresent(from -> {
                for (JsonNode target : language.path("targets")) {
                    LanguageCodes.toIso1(target.asText()).ifPresent(to ->
                            out.computeIfAbsent(from, k -> new HashSet<>()).add(to));
                }
            });
        }
        return out;
    }

    @Override
    public void close() {
        http.close();
    }
}
