package dev.parley.translate;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Client of an Apertium APy server shared by several services:
 * {@code GET /translate?q=..&langpair=eng|spa} and {@code GET /listPairs}. APy names languages in
 * ISO 639-3; Parley's ISO 639-1 codes are mapped both ways.
 */
public final class ApyTranslator implements Translator {

    private final String base;
    private final HttpJson http;
    private final CachedPairs pairs = new CachedPairs(this::fetchPairs);

    /** @param baseUrl e.g. {@code http://127.0.0.1:2737} */
    public ApyTranslator(URI baseUrl, Duration timeout) {
        this.base = HttpJson.trimSlash(baseUrl.toString());
        this.http = new HttpJson("Apertium APy", timeout);
    }

    @Override
    public String name() {
        return "apy";
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
        String langpair = LanguageCodes.toIso3(src).orElse(src) + "|" + LanguageCodes.toIso3(dst).orElse(dst);
        // format=txt: an utterance is plain text (APy's default deformatter is HTML);
        // markUnknown=no: APy's '*' marks would be spoken by TTS and shown to callers.
        URI uri = URI.create(base + "/translate?q=" + encode(text) + "&langpair=" + encode(langpair)
                + "&format=txt&markUnknown=no");
        return http.send(http.request(uri).GET().build(), f -> failure(f, from, to),
                json -> http.text(json, "/responseData/translatedText").strip());
    }

    private TranslationException failure(HttpJson.Failure f, String from, String to) {
        if (f.status() == 400) {
            return new TranslationException("Apertium APy cannot translate " + from + " to " + to + ": "
                    + f.serverMessage());
        }
        return new TranslationException("Apertium APy failed (HTTP " + f.status() + "): " + f.serverMessage());
    }

    private Map<String, Set<String>> fetchPairs() {
        JsonNode json = http.sendAndWait(http.request(URI.create(base + "/listPairs")).GET().build(),
                f -> new TranslationException("Apertium APy did not list its pairs (HTTP " + f.status() + "): "
                        + f.serverMessage()));
        Map<String, Set<String>> out = new HashMap<>();
        for (JsonNode pair : json.path("responseData")) {
            // Variants such as cat_valencia have no ISO 639-1 code and are left out.
            LanguageCodes.toIso1(pair.path("sourceLanguage").asText()).ifPresent(from ->
                    LanguageCodes.toIso1(pair.path("targetLanguage").asText()).ifPresent(to ->
                            out.computeIfAbsent(from, k -> new HashSet<>()).add(to)));
        }
        return out;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        http.close();
    }
}
