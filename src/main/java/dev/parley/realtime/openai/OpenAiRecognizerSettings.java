package dev.parley.realtime.openai;

import dev.parley.Config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Settings of the {@code openai} recognizer, {@code parley.recognizer.openai.*}: where the GA
 * Realtime transcription service is, the key, and the session it asks for. Read only when
 * {@code parley.recognizer=openai}. The key is never printed: not by {@link #toString()}, not in an
 * error message.
 *
 * @param baseUrl            the API's base, e.g. {@code wss://api.openai.com/v1}; the socket is
 *                           {@code <baseUrl>/realtime?intent=transcription} (http(s) is taken as ws(s))
 * @param apiKey             sent as {@code Authorization: Bearer}
 * @param model              transcription model, e.g. {@code gpt-4o-transcribe}
 * @param language           ISO 639-1 code to transcribe in; null for the session's own language,
 *                           empty ({@code auto}) to let the service detect it
 * @param prompt             a prompt for the transcription model, or empty
 * @param turnDetection      {@code server_vad}, {@code semantic_vad} or {@code none} (Parley commits
 *                           only when it is told to, and at the end)
 * @param vadThreshold       server VAD activation threshold, 0 to 1
 * @param vadPrefixPaddingMs audio kept before detected speech
 * @param vadSilenceMs       silence that ends an utterance
 * @param vadEagerness       semantic VAD eagerness: {@code low}, {@code medium}, {@code high}, {@code auto}
 * @param noiseReduction     {@code near_field}, {@code far_field}, or null for none
 * @param pcmuFor8k          8 kHz channels go as {@code audio/pcmu} at their own rate (else resampled to
 *                           24 kHz {@code audio/pcm})
 * @param languages          the languages Parley offers with this engine
 * @param maxStreams         concurrent streams (sockets) at most
 * @param maxBufferedAudio   audio kept while the connection is down (and kept for a resend of what the
 *                           service had not transcribed yet); beyond it audio is dropped and said so
 * @param initialBackoff     first wait before reconnecting; it doubles up to {@code maxBackoff}
 * @param maxBackoff         longest wait between reconnection attempts
 * @param connectTimeout     how long an attempt to connect may take
 * @param finishTimeout      how long the end of a stream waits for the last transcripts
 */
public record OpenAiRecognizerSettings(URI baseUrl, String apiKey, String model, String language, String prompt,
                                       String turnDetection, double vadThreshold, int vadPrefixPaddingMs,
                                       int vadSilenceMs, String vadEagerness, String noiseReduction,
                                       boolean pcmuFor8k, Set<String> languages, int maxStreams,
                                       Duration maxBufferedAudio, Duration initialBackoff, Duration maxBackoff,
                                       Duration connectTimeout, Duration finishTimeout) {

    public static final String PREFIX = "parley.recognizer.openai.";
    public static final String BASE_URL = PREFIX + "base-url";
    public static final String API_KEY = PREFIX + "api-key";
    public static final String MODEL = PREFIX + "model";
    public static final String LANGUAGE = PREFIX + "language";
    public static final String PROMPT = PREFIX + "prompt";
    public static final String TURN_DETECTION = PREFIX + "turn-detection";
    public static final String VAD_THRESHOLD = PREFIX + "vad-threshold";
    public static final String VAD_PREFIX_PADDING_MS = PREFIX + "vad-prefix-padding-ms";
    public static final String VAD_SILENCE_MS = PREFIX + "vad-silence-duration-ms";
    public static final String VAD_EAGERNESS = PREFIX + "vad-eagerness";
    public static final String NOISE_REDUCTION = PREFIX + "noise-reduction";
    public static final String TELEPHONY_FORMAT = PREFIX + "telephony-format";
    public static final String LANGUAGES = PREFIX + "languages";
    public static final String MAX_STREAMS = PREFIX + "max-streams";
    public static final String MAX_BUFFERED_AUDIO_MS = PREFIX + "max-buffered-audio-ms";
    public static final String RECONNECT_INITIAL_MS = PREFIX + "reconnect-initial-backoff-ms";
    public static final String RECONNECT_MAX_MS = PREFIX + "reconnect-max-backoff-ms";
    public static final String CONNECT_TIMEOUT_MS = PREFIX + "connect-timeout-ms";
    public static final String FINISH_TIMEOUT_MS = PREFIX + "finish-timeout-ms";

    /** The vendor's own variable, used when {@link #API_KEY} is not set. */
    public static final String API_KEY_ENV = "OPENAI_API_KEY";
    public static final String DEFAULT_BASE_URL = "wss://api.openai.com/v1";
    public static final String DEFAULT_MODEL = "gpt-4o-transcribe";
    /** Languages Whisper-family models transcribe (ISO 639-1). */
    public static final String DEFAULT_LANGUAGES = "af,ar,hy,az,be,bs,bg,ca,zh,hr,cs,da,nl,en,et,fi,fr,gl,de,el,he,hi,"
            + "hu,is,id,it,ja,kn,kk,ko,lv,lt,mk,ms,mr,mi,ne,no,fa,pl,pt,ro,ru,sr,sk,sl,es,sw,sv,tl,ta,th,tr,uk,ur,vi,cy";

    private static final Pattern LANGUAGE_CODE = Pattern.compile("[a-z]{2,3}");

    public OpenAiRecognizerSettings {
        languages = Set.copyOf(languages);
    }

    /** Reads {@code parley.recognizer.openai.*}; the key falls back to the environment's {@value #API_KEY_ENV}. */
    public static OpenAiRecognizerSettings fromProperties(Function<String, String> lookup) {
        return fromProperties(lookup, System::getenv);
    }

    static OpenAiRecognizerSettings fromProperties(Function<String, String> lookup, Function<String, String> env) {
        Config config = new Config(lookup);
        String key = config.string(API_KEY, null);
        if (key == null) {
            String fromEnv = env.apply(API_KEY_ENV);
            key = fromEnv == null || fromEnv.isBlank() ? null : fromEnv.trim();
        }
        if (key == null) {
            throw new IllegalArgumentException("Missing setting " + API_KEY + " (env " + Config.envName(API_KEY)
                    + ", or " + API_KEY_ENV + "): the openai recognizer needs an API key. Set it, or choose "
                    + "another engine with parley.recognizer.");
        }
        if (!key.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw Config.invalid(API_KEY, "(hidden)", "printable ASCII without spaces");
        }
        String turn = config.string(TURN_DETECTION, "server_vad").toLowerCase(Locale.ROOT);
        if (!Set.of("server_vad", "semantic_vad", "none").contains(turn)) {
            throw Config.invalid(TURN_DETECTION, turn, "server_vad, semantic_vad or none");
        }
        String language = config.string(LANGUAGE, null);
        if (language != null) {
            language = language.toLowerCase(Locale.ROOT);
            if (language.equals("auto")) {
                language = "";
            } else if (!LANGUAGE_CODE.matcher(language).matches()) {
                throw Config.invalid(LANGUAGE, language, "an ISO 639-1 code such as en, or auto");
            }
        }
        String eagerness = config.string(VAD_EAGERNESS, "auto").toLowerCase(Locale.ROOT);
        if (!Set.of("low", "medium", "high", "auto").contains(eagerness)) {
            throw Config.invalid(VAD_EAGERNESS, eagerness, "low, medium, high or auto");
        }
        String noise = config.string(NOISE_REDUCTION, "none").toLowerCase(Locale.ROOT);
        if (!Set.of("none", "near_field", "far_field").contains(noise)) {
            throw Config.invalid(NOISE_REDUCTION, noise, "none, near_field or far_field");
        }
        String telephony = config.string(TELEPHONY_FORMAT, "pcmu").toLowerCase(Locale.ROOT);
        if (!Set.of("pcmu", "pcm").contains(telephony)) {
            throw Config.invalid(TELEPHONY_FORMAT, telephony, "pcmu (8 kHz audio as G.711 mu-law) or pcm (resampled to 24 kHz)");
        }
        double threshold;
        String thresholdText = config.string(VAD_THRESHOLD, "0.5");
        try {
            threshold = Double.parseDouble(thresholdText);
        } catch (NumberFormatException e) {
            threshold = -1;
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw Config.invalid(VAD_THRESHOLD, thresholdText, "a number from 0 to 1");
        }
        Set<String> languages = new LinkedHashSet<>();
        for (String code : config.string(LANGUAGES, DEFAULT_LANGUAGES).split(",")) {
            String c = code.trim().toLowerCase(Locale.ROOT);
            if (c.isEmpty()) {
                continue;
            }
            if (!LANGUAGE_CODE.matcher(c).matches()) {
                throw Config.invalid(LANGUAGES, c, "comma-separated ISO 639-1 codes, e.g. en,es,fr");
            }
            languages.add(c);
        }
        if (languages.isEmpty()) {
            throw Config.invalid(LANGUAGES, "", "at least one ISO 639-1 code");
        }
        Duration initial = config.millis(RECONNECT_INITIAL_MS, 250, 10, 60_000);
        Duration max = config.millis(RECONNECT_MAX_MS, 10_000, 10, 600_000);
        if (max.compareTo(initial) < 0) {
            throw Config.invalid(RECONNECT_MAX_MS, Long.toString(max.toMillis()), "at least "
                    + RECONNECT_INITIAL_MS + " (" + initial.toMillis() + ")");
        }
        return new OpenAiRecognizerSettings(
                baseUrl(config.string(BASE_URL, DEFAULT_BASE_URL)),
                key,
                config.string(MODEL, DEFAULT_MODEL),
                language,
                config.string(PROMPT, ""),
                turn,
                threshold,
                config.integer(VAD_PREFIX_PADDING_MS, 300, 0, 10_000),
                config.integer(VAD_SILENCE_MS, 500, 10, 10_000),
                eagerness,
                noise.equals("none") ? null : noise,
                telephony.equals("pcmu"),
                languages,
                config.integer(MAX_STREAMS, 100, 1, 10_000),
                config.millis(MAX_BUFFERED_AUDIO_MS, 20_000, 0, 600_000),
                initial,
                max,
                config.millis(CONNECT_TIMEOUT_MS, 10_000, 100, 120_000),
                config.millis(FINISH_TIMEOUT_MS, 15_000, 100, 600_000));
    }

    /** The socket's address: {@code <baseUrl>/realtime?intent=transcription}. */
    public URI realtimeUri() {
        String base = baseUrl.toString();
        return URI.create(base + (base.endsWith("/") ? "" : "/") + "realtime?intent=transcription");
    }

    private static URI baseUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw Config.invalid(BASE_URL, text, "an absolute URL such as " + DEFAULT_BASE_URL);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String ws = switch (scheme) {
            case "ws", "http" -> "ws";
            case "wss", "https" -> "wss";
            default -> null;
        };
        if (ws == null || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
            throw Config.invalid(BASE_URL, text, "an absolute ws://, wss://, http:// or https:// URL without query, "
                    + "such as " + DEFAULT_BASE_URL);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        try {
            return new URI(ws, uri.getRawUserInfo(), uri.getHost(), uri.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            throw Config.invalid(BASE_URL, text, "an absolute URL such as " + DEFAULT_BASE_URL);
        }
    }

    @Override
    public String toString() {
        return "OpenAiRecognizerSettings[baseUrl=" + baseUrl + ", apiKey=(hidden), model=" + model
                + ", language=" + (language == null ? "(session's)" : language.isEmpty() ? "auto" : language)
                + ", turnDetection=" + turnDetection + ", vadThreshold=" + vadThreshold
                + ", vadPrefixPaddingMs=" + vadPrefixPaddingMs + ", vadSilenceMs=" + vadSilenceMs
                + ", noiseReduction=" + noiseReduction + ", pcmuFor8k=" + pcmuFor8k
                + ", languages=" + languages.size() + ", maxStreams=" + maxStreams
                + ", maxBufferedAudio=" + maxBufferedAudio + ", backoff=" + initialBackoff + ".." + maxBackoff
                + ", connectTimeout=" + connectTimeout + ", finishTimeout=" + finishTimeout + "]";
    }

    /** Every key this engine reads, for documentation and checks. */
    public static Set<String> keys() {
        return new LinkedHashSet<>(Arrays.asList(BASE_URL, API_KEY, MODEL, LANGUAGE, PROMPT, TURN_DETECTION,
                VAD_THRESHOLD, VAD_PREFIX_PADDING_MS, VAD_SILENCE_MS, VAD_EAGERNESS, NOISE_REDUCTION,
                TELEPHONY_FORMAT, LANGUAGES, MAX_STREAMS, MAX_BUFFERED_AUDIO_MS, RECONNECT_INITIAL_MS,
                RECONNECT_MAX_MS, CONNECT_TIMEOUT_MS, FINISH_TIMEOUT_MS));
    }
}
