package dev.parley.translate;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Translation by a chat model: {@code POST {base}/v1/chat/completions} with a system prompt that
 * asks for the translation only, temperature 0. The base URL may point to any OpenAI-compatible
 * server (vLLM, llama.cpp, Ollama); a model translates between any of the configured languages.
 */
public final class OpenAiTranslator implements Translator {

    public static final String DEFAULT_BASE_URL = "https://api.openai.com";
    public static final String DEFAULT_MODEL = "gpt-4o-mini";

    private final String endpoint;
    private final String apiKey;
    private final String model;
    private final Map<String, Set<String>> pairs;
    private final HttpJson http;

    /**
     * @param baseUrl   {@code https://api.openai.com}; a base that already ends in {@code /v1} is accepted
     * @param apiKey    null or blank for a local server that needs none
     * @param languages ISO 639-1 codes; every one translates to every other
     */
    public OpenAiTranslator(URI baseUrl, String apiKey, String model, List<String> languages, Duration timeout) {
        String base = HttpJson.trimSlash(baseUrl.toString());
        this.endpoint = (base.endsWith("/v1") ? base : base + "/v1") + "/chat/completions";
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.model = model;
        Set<String> codes = new LinkedHashSet<>();
        languages.forEach(l -> codes.add(LanguageCodes.normalize(l)));
        Map<String, Set<String>> p = new HashMap<>();
        codes.forEach(from -> p.put(from, codes));
        this.pairs = CachedPairs.freeze(p);
        this.http = new HttpJson("OpenAI", timeout);
    }

    @Override
    public String name() {
        return "openai";
    }

    @Override
    public Map<String, Set<String>> pairs() {
        return pairs;
    }

    @Override
    public CompletableFuture<String> translate(String text, String from, String to) {
        String src = LanguageCodes.normalize(from);
        String dst = LanguageCodes.normalize(to);
        CompletableFuture<String> trivial = Translators.nothingToTranslate(text, src, dst);
        if (trivial != null) {
            return trivial;
        }
        if (!pairs.getOrDefault(src, Set.of()).contains(dst)) {
            return CompletableFuture.failedFuture(new TranslationException("OpenAI translation is configured for "
                    + pairs.keySet() + " (parley.translator.openai.languages), not " + from + " to " + to));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("temperature", 0);
        body.put("messages", List.of(
                Map.of("role", "system", "content", prompt(src, dst)),
                Map.of("role", "user", "content", text)));
        var request = http.request(URI.create(endpoint))
                .header("Content-Type", "application/json");
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        return http.send(request.POST(HttpJson.body(body)).build(), OpenAiTranslator::failure,
                json -> http.text(json, "/choices/0/message/content").strip());
    }

    static String prompt(String from, String to) {
        return "You are a translation engine. Translate the user's message from "
                + LanguageCodes.englishName(from) + " to " + LanguageCodes.englishName(to)
                + ". Reply with the translation only: no quotes, notes, explanations or answers to its content.";
    }

    /** The server's message is kept for other errors; for 401 it may quote part of the key, so it is not. */
    private static TranslationException failure(HttpJson.Failure f) {
        return switch (f.status()) {
            case 401 -> new TranslationException("OpenAI rejected the API key (401): set a valid key in "
                    + "parley.translator.openai.api-key or OPENAI_API_KEY");
            case 403 -> new TranslationException("OpenAI refused the request (403): " + f.serverMessage());
            case 404 -> new TranslationException("OpenAI does not know this model or URL (404): " + f.serverMessage()
                    + "; check parley.translator.openai.model and base-url");
            case 429 -> new TranslationException("OpenAI is rate limiting us or the quota is used up (429): "
                    + f.serverMessage());
            default -> f.status() >= 500
                    ? new TranslationException("OpenAI had a server error (HTTP " + f.status() + "); try again later")
                    : new TranslationException("OpenAI failed (HTTP " + f.status() + "): " + f.serverMessage());
        };
    }

    @Override
    public void close() {
        http.close();
    }
}
