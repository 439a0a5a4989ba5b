package dev.parley.tts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * OpenAI text to speech: {@code POST {base}/v1/audio/speech} with JSON {@code {model, input, voice,
 * response_format: "wav"}} and {@code Authorization: Bearer <key>}. The answer is a WAV (24 kHz mono
 * PCM16 from OpenAI, with placeholder sizes in its header, which are corrected). Any server that
 * speaks this API can be used through {@link Settings#baseUrl()}.
 *
 * <p>OpenAI's voices speak the language of the text; {@link #languages()} lists the languages OpenAI
 * documents for its speech models, and the language only selects whether a request is accepted.
 */
public final class OpenAiSynthesizer extends QueuedSynthesizer {

    public static final String NAME = "openai";
    public static final String DEFAULT_BASE_URL = "https://api.openai.com";
    public static final String DEFAULT_MODEL = "gpt-4o-mini-tts";
    public static final String DEFAULT_VOICE = "alloy";
    /** The environment variable read for the key when no property gives one. */
    public static final String API_KEY_ENV = "OPENAI_API_KEY";

    /** ISO 639-1 codes of the languages OpenAI's text-to-speech documentation lists (Whisper's). */
    public static final Set<String> LANGUAGES = Set.of("af", "ar", "hy", "az", "be", "bs", "bg", "ca", "zh", "hr",
            "cs", "da", "nl", "en", "et", "fi", "fr", "gl", "de", "el", "he", "hi", "hu", "is", "id", "it", "ja", "kn",
            "kk", "ko", "lv", "lt", "mk", "ms", "mr", "mi", "ne", "no", "nb", "fa", "pl", "pt", "ro", "ru", "sr", "sk",
            "sl", "es", "sw", "sv", "tl", "ta", "th", "tr", "uk", "ur", "vi", "cy");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Settings of the OpenAI engine.
     *
     * @param baseUrl   the API's scheme, host and port (and path prefix), without {@code /v1}
     * @param model     e.g. {@code gpt-4o-mini-tts}, {@code tts-1}
     * @param voice     e.g. {@code alloy}
     * @param apiKey    the bearer token; never logged nor shown by {@link #toString()}
     * @param timeout   time allowed per utterance, from the call to its result
     * @param threads   requests in flight at once
     * @param maxQueued requests waiting beyond those; more are refused as busy
     */
    public record Settings(URI baseUrl, String model, String voice, String apiKey, Duration timeout, int threads,
            int maxQueued) {

        @Override
        public String toString() {
            return "Settings[baseUrl=" + baseUrl + ", model=" + model + ", voice=" + voice + ", apiKey=***, timeout="
                    + timeout + ", threads=" + threads + ", maxQueued=" + maxQueued + "]";
        }
    }

    private final Settings settings;
    private final URI endpoint;
    private final HttpClient http;

    public OpenAiSynthesizer(Settings settings) {
        super(NAME, settings.threads(), settings.maxQueued(), settings.timeout());
        if (settings.apiKey() == null || settings.apiKey().isBlank()) {
            throw new IllegalArgumentException("The openai synthesizer needs an API key: set "
                    + Synthesizers.OPENAI_API_KEY + " (env " + dev.parley.Config.envName(Synthesizers.OPENAI_API_KEY)
                    + ") or " + API_KEY_ENV + ", or choose " + Synthesizers.ENGINE + "=espeak");
        }
        this.settings = settings;
        this.endpoint = endpoint(settings.baseUrl());
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.timeout().compareTo(Duration.ofSeconds(10)) < 0 ? settings.timeout()
                        : Duration.ofSeconds(10))
                .build();
    }

    /** {@code base/v1/audio/speech}; a base that already ends in {@code /v1} is not doubled. */
    static URI endpoint(URI base) {
        String s = base.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (!s.endsWith("/v1")) {
            s += "/v1";
        }
        return URI.create(s + "/audio/speech");
    }

    public Settings settings() {
        return settings;
    }

    /** Where requests go. */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> languages() {
        return LANGUAGES;
    }

    @Override
    String resolve(String language) {
        if (!LANGUAGES.contains(primary(language))) {
            throw new SynthesisException("OpenAI speech does not support language '" + language
                    + "'. Languages available: " + String.join(", ", new java.util.TreeSet<>(LANGUAGES)));
        }
        return settings.voice();
    }

    @Override
    Speech synthesize(Job job) throws Exception {
        ObjectNode body = JSON.createObjectNode()
                .put("model", settings.model())
                .put("input", job.text)
                .put("voice", job.voice)
                .put("response_format", "wav");
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .timeout(settings.timeout())
                .header("Authorization", "Bearer " + settings.apiKey())
                .header("Content-Type", "application/json")
                .header("Accept", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .build();
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        job.onAbort(() -> sent.cancel(true));
        HttpResponse<byte[]> response;
        try {
            response = sent.get();
        } catch (CancellationException e) {
            return null; // timed out or closed: the result is already set
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
        int status = response.statusCode();
        if (status != 200) {
            throw httpError(status, response.body());
        }
        return speech(response.body(), "OpenAI");
    }

    private SynthesisException failure(Throwable cause) {
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return new SynthesisException("Cannot reach OpenAI speech at " + endpoint + ": " + cause.getMessage(), cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return new SynthesisException("Speech synthesis (openai) timed out after " + settings.timeout().toMillis()
                    + " ms", cause);
        }
        if (cause instanceof IOException) {
            return new SynthesisException("OpenAI speech request to " + endpoint + " failed: " + cause, cause);
        }
        return new SynthesisException("OpenAI speech request failed: " + cause, cause);
    }

    private SynthesisException httpError(int status, byte[] body) {
        String detail = errorMessage(body).replace(settings.apiKey(), "***");
        String suffix = detail.isEmpty() ? "" : ": " + detail;
        String keyProperty = Synthesizers.OPENAI_API_KEY + " (env " + dev.parley.Config.envName(Synthesizers.OPENAI_API_KEY)
                + ") or " + API_KEY_ENV;
        return new SynthesisException(switch (status) {
            case 401 -> "OpenAI rejected the API key (HTTP 401)" + suffix + ". Check " + keyProperty;
            case 403 -> "OpenAI refused this key access to " + settings.model() + " (HTTP 403)" + suffix;
            case 404 -> "OpenAI speech endpoint or model not found (HTTP 404) at " + endpoint + suffix;
            case 429 -> "OpenAI rate limit or quota exceeded (HTTP 429)" + suffix + ". Try again later";
            default -> status >= 500
                    ? "OpenAI speech service error (HTTP " + status + ")" + suffix + ". Try again later"
                    : "OpenAI speech request refused (HTTP " + status + ")" + suffix;
        });
    }

    /** OpenAI's {@code {"error": {"message": ...}}}, or the start of a text body, or empty. */
    private static String errorMessage(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            JsonNode message = JSON.readTree(body).path("error").path("message");
            if (message.isTextual()) {
                return printable(message.asText(), 300);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: fall through
        }
        String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8).strip();
        return text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t') ? printable(text, 300) : "";
    }

    @Override
    public String toString() {
        return "OpenAiSynthesizer" + settings;
    }
}
