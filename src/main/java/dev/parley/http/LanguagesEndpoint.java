package dev.parley.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code GET /api/languages}: what a client can ask for. The languages the recognizer hears, for
 * each of them the target languages the translator reaches, and the languages speech is available
 * in, with the engines behind them.
 */
public final class LanguagesEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LanguagesEndpoint() {
    }

    /** What the engines offer, read at each request (an engine may learn pairs late). */
    public record Offer(String recognizer, Set<String> sources, String translator,
                        Supplier<Map<String, Set<String>>> pairs, String tts, Set<String> voices) {
    }

    public static void mount(HttpServer server, Offer offer) {
        server.router().get("/api/languages").handler(rc -> {
            try {
                rc.response().putHeader("Content-Type", "application/json").end(describe(offer));
            } catch (JsonProcessingException e) {
                rc.fail(e);
            }
        });
    }

    static String describe(Offer offer) throws JsonProcessingException {
        Map<String, Object> targets = new TreeMap<>();
        Map<String, Set<String>> pairs = offer.pairs().get();
        for (String source : new TreeSet<>(offer.sources())) {
            targets.put(source, new TreeSet<>(pairs.getOrDefault(source, Set.of())));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sources", new TreeSet<>(offer.sources()));
        body.put("targets", targets);
        body.put("tts", new TreeSet<>(offer.voices()));
        body.put("engines", Map.of("recognizer", offer.recognizer(), "translator", offer.translator(), "tts", offer.tts()));
        return JSON.writeValueAsString(body);
    }
}
