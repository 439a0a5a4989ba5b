package dev.parley.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * What the HTTP engines share: one JDK client on a dedicated executor, JSON both ways, a timeout per
 * request, and every failure turned into a {@link TranslationException} that names the engine.
 * Request headers (which may carry keys) never reach a message.
 */
final class HttpJson implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A non-2xx answer; each engine turns it into its own message. */
    record Failure(int status, String body) {
        /** The server's own words from a JSON error (OpenAI, APy, DeepL, LibreTranslate shapes), else the raw body. */
        String serverMessage() {
            try {
                JsonNode json = JSON.readTree(body);
                for (String path : new String[] {"/error/message", "/explanation", "/message", "/error", "/detail"}) {
                    JsonNode node = json.at(path);
                    if (node.isTextual() && !node.asText().isBlank()) {
                        return clip(node.asText());
                    }
                }
            } catch (IOException | RuntimeException notJson) {
                // fall through to the raw body
            }
            return clip(body.strip());
        }

        private static String clip(String s) {
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }
    }

    /** Maps a non-2xx answer to the exception the caller sees. */
    interface FailureMapper {
        TranslationException map(Failure failure);
    }

    private final String engine;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient client;

    HttpJson(String engine, Duration timeout) {
        this.engine = engine;
        this.timeout = timeout;
        this.executor = Executors.newCachedThreadPool(ApertiumTranslator.daemon("translate-" + engine));
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    Duration timeout() {
        return timeout;
    }

    HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
    }

    static HttpRequest.BodyPublisher body(Object json) {
        try {
            return HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends without blocking; the result completes with what {@code read} makes of the JSON answer, or
     * with a {@link TranslationException} itself (not wrapped), as {@link Translator} promises.
     */
    <T> CompletableFuture<T> send(HttpRequest request, FailureMapper onFailure, Function<JsonNode, T> read) {
        CompletableFuture<T> result = new CompletableFuture<>();
        client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                // HttpRequest.timeout stops at the response headers; this bounds a body that trickles, too.
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((response, error) -> {
                    try {
                        result.complete(read.apply(parse(request.uri(), response, error, onFailure)));
                    } catch (TranslationException e) {
                        result.completeExceptionally(e);
                    } catch (RuntimeException e) {
                        result.completeExceptionally(new TranslationException(engine + " answer unreadable", e));
                    }
                }, executor);
        return result;
    }

    /** Blocks for a small reference call such as the list of languages. */
    JsonNode sendAndWait(HttpRequest request, FailureMapper onFailure) {
        try {
            return send(request, onFailure, Function.identity()).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TranslationException(engine + " request interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof TranslationException t ? t
                    : new TranslationException(engine + " request failed", e.getCause());
        }
    }

    private JsonNode parse(URI uri, HttpResponse<String> response, Throwable error, FailureMapper onFailure) {
        if (error != null) {
            throw transportFailure(uri, error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error);
        }
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw onFailure.map(new Failure(status, response.body() == null ? "" : response.body()));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new TranslationException(engine + " answered with something that is not JSON", e);
        }
    }

    /** Names the server by scheme, host and port only: the path and query may hold the text. */
    private TranslationException transportFailure(URI uri, Throwable error) {
        String server = uri.getScheme() + "://" + uri.getAuthority();
        if (error instanceof HttpTimeoutException || error instanceof TimeoutException) {
            return new TranslationException(engine + " did not answer within " + timeout.toMillis() + " ms ("
                    + server + ")", error);
        }
        if (error instanceof ConnectException) {
            return new TranslationException("Cannot connect to " + engine + " at " + server, error);
        }
        return new TranslationException(engine + " request to " + server + " failed: " + error, error);
    }

    /** The text at {@code pointer}, or a clear error when the answer has another shape. */
    String text(JsonNode json, String pointer) {
        JsonNode node = json.at(pointer);
        if (!node.isTextual()) {
            throw new TranslationException(engine + " answered without " + pointer);
        }
        return node.asText();
    }

    /** A base URL with no trailing slash, so paths can be appended. */
    static String trimSlash(String base) {
        String b = base.strip();
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        return b;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
