package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A transcription session's settings as the GA protocol describes them ({@code session.audio.input}:
 * format, transcription, turn detection, noise reduction; {@code include}), changed by
 * {@code session.update} and shown in {@code session.created}/{@code session.updated}. An update is
 * checked whole before any of it applies: a refused one changes nothing. What is shown is what is
 * applied: the model is Parley's recognizer whatever was asked for; a feature Parley lacks (log
 * probabilities, noise reduction, a prompt, semantic VAD) is left out of the session and named in
 * an error of its own ({@link #unsupported()}) while the rest of the update applies; VAD tuning
 * (threshold, padding, silence) is the recognizer's own, so it is not echoed.
 */
final class SessionConfig {

    static final String PCM = "audio/pcm";
    static final String PCMU = "audio/pcmu";
    static final String PCMA = "audio/pcma";
    static final int PCM_RATE = 24000;
    static final int G711_RATE = 8000;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** Why an update was refused, shaped as the service's {@code error} object. */
    record Refusal(String type, String code, String message, String param) {
        static Refusal invalidValue(String message, String param) {
            return new Refusal("invalid_request_error", "invalid_value", message, param);
        }

        static Refusal invalidType(String param, String expected, JsonNode got) {
            return new Refusal("invalid_request_error", "invalid_type", "Invalid type for '" + param + "': expected "
                    + expected + ", but got " + kind(got) + " instead.", param);
        }
    }

    static final String UNSUPPORTED = "unsupported_feature";

    private String format = PCM;
    private final String model;
    private String language;
    /** Null: no turn detection, the client commits. */
    private ObjectNode turnDetection;
    /** What the last update asked for that Parley does not do: one error each. */
    private final List<Refusal> unsupported = new ArrayList<>();

    /** @param model the recognizer's name: the model that really transcribes */
    SessionConfig(String model, String language) {
        this.model = model;
        this.language = language;
        this.turnDetection = serverVad();
    }

    /** The features the last applied update asked for and Parley lacks, each as an error to send. */
    List<Refusal> unsupported() {
        return List.copyOf(unsupported);
    }

    /** Whether the service detects turns itself ({@code server_vad} or {@code semantic_vad}). */
    boolean vad() {
        return turnDetection != null;
    }

    String language() {
        return language;
    }

    String formatType() {
        return format;
    }

    /** How the audio reaches Parley's recognizer: A-law is decoded to PCM16 at its own rate. */
    AudioFormat parleyFormat() {
        return switch (format) {
            case PCMU -> new AudioFormat(AudioEncoding.MULAW, G711_RATE);
            case PCMA -> new AudioFormat(AudioEncoding.PCM16, G711_RATE);
            default -> new AudioFormat(AudioEncoding.PCM16, PCM_RATE);
        };
    }

    /** Bytes of wire audio in a millisecond: 48 for 24 kHz PCM16, 8 for G.711. */
    int bytesPerMilli() {
        return PCM.equals(format) ? PCM_RATE * 2 / 1000 : G711_RATE / 1000;
    }

    /**
     * Applies a {@code session} object. {@code audioStarted}: audio was appended, so the format and
     * language are fixed. Returns why it was refused, or null once applied.
     */
    Refusal apply(JsonNode session, boolean audioStarted, Set<String> languages) {
        if (session == null || session.isMissingNode()) {
            return new Refusal("invalid_request_error", "missing_required_parameter",
                    "Missing required parameter: 'session'.", "session");
        }
        if (!session.isObject()) {
            return Refusal.invalidType("session", "an object", session);
        }
        JsonNode type = session.get("type");
        if (type != null && !type.isNull() && !"transcription".equals(type.asText())) {
            return Refusal.invalidValue("Invalid value: '" + type.asText() + "'. This endpoint serves transcription "
                    + "sessions only (connect with ?intent=transcription). Supported values are: 'transcription'.",
                    "session.type");
        }
        String newFormat = format;
        String newLanguage = language;
        ObjectNode newTurn = turnDetection;
        List<Refusal> lacking = new ArrayList<>();

        JsonNode audio = session.get("audio");
        JsonNode input = audio == null || audio.isNull() ? null : audio.get("input");
        if (audio != null && !audio.isNull() && !audio.isObject()) {
            return Refusal.invalidType("session.audio", "an object", audio);
        }
        if (input != null && !input.isNull() && !input.isObject()) {
            return Refusal.invalidType("session.audio.input", "an object", input);
        }
        if (input != null && input.isObject()) {
            JsonNode f = input.get("format");
            if (f != null && !f.isNull()) {
                if (!f.isObject()) {
                    return Refusal.invalidType("session.audio.input.format", "an object", f);
                }
                String t = f.path("type").asText("");
                if (!Set.of(PCM, PCMU, PCMA).contains(t)) {
                    return Refusal.invalidValue("Invalid value: '" + t + "'. Supported values are: 'audio/pcm', "
                            + "'audio/pcmu', and 'audio/pcma'.", "session.audio.input.format.type");
                }
                JsonNode r = f.get("rate");
                if (PCM.equals(t) && r != null && !r.isNull() && !(r.canConvertToInt() && r.asInt() == PCM_RATE)) {
                    return Refusal.invalidValue("Invalid value: " + r + ". Supported values are: " + PCM_RATE + ".",
                            "session.audio.input.format.rate");
                }
                newFormat = t;
            }
            JsonNode tr = input.get("transcription");
            if (tr != null && !tr.isNull()) {
                if (!tr.isObject()) {
                    return Refusal.invalidType("session.audio.input.transcription", "an object", tr);
                }
                JsonNode m = tr.get("model");
                if (m != null && !m.isNull()) {
                    if (!m.isTextual() || m.asText().isBlank()) {
                        return Refusal.invalidType("session.audio.input.transcription.model", "a string", m);
                    }
                }
                JsonNode l = tr.get("language");
                if (l != null && !l.isNull()) {
                    if (!l.isTextual()) {
                        return Refusal.invalidType("session.audio.input.transcription.language", "a string", l);
                    }
                    if (!languages.contains(l.asText())) {
                        return Refusal.invalidValue("Invalid value: '" + l.asText() + "'. Supported values are: "
                                + quoted(new TreeSet<>(languages)) + ".", "session.audio.input.transcription.language");
                    }
                    newLanguage = l.asText();
                }
                JsonNode p = tr.get("prompt");
                if (p != null && !p.isNull()) {
                    if (!p.isTextual()) {
                        return Refusal.invalidType("session.audio.input.transcription.prompt", "a string", p);
                    }
                    if (!p.asText().isEmpty()) {
                        lacking.add(lacks("a transcription prompt", "session.audio.input.transcription.prompt"));
                    }
                }
            }
            if (input.has("turn_detection")) {
                JsonNode td = input.get("turn_detection");
                if (td.isNull()) {
                    newTurn = null;
                } else {
                    Refusal refusal = checkTurnDetection(td);
                    if (refusal != null) {
                        return refusal;
                    }
                    if ("semantic_vad".equals(td.path("type").asText())) {
                        lacking.add(lacks("semantic_vad (Parley's recognizer detects turns by voice activity: "
                                + "server_vad applies)", "session.audio.input.turn_detection.type"));
                    }
                    newTurn = serverVad();
                }
            }
            if (input.has("noise_reduction")) {
                JsonNode nr = input.get("noise_reduction");
                if (!nr.isNull()) {
                    String t = nr.path("type").asText("");
                    if (!t.equals("near_field") && !t.equals("far_field")) {
                        return Refusal.invalidValue("Invalid value: '" + t + "'. Supported values are: 'near_field' "
                                + "and 'far_field'.", "session.audio.input.noise_reduction.type");
                    }
                    lacking.add(lacks("noise reduction", "session.audio.input.noise_reduction"));
                }
            }
        }
        JsonNode inc = session.get("include");
        if (inc != null && !inc.isNull()) {
            if (!inc.isArray()) {
                return Refusal.invalidType("session.include", "an array", inc);
            }
            for (JsonNode v : inc) {
                if (!"item.input_audio_transcription.logprobs".equals(v.asText())) {
                    return Refusal.invalidValue("Invalid value: '" + v.asText() + "'. Supported values are: "
                            + "'item.input_audio_transcription.logprobs'.", "session.include");
                }
                lacking.add(lacks("log probabilities (item.input_audio_transcription.logprobs)", "session.include"));
            }
        }
        if (audioStarted && !newFormat.equals(format)) {
            return Refusal.invalidValue("The input audio format cannot change once audio has been appended (it is '"
                    + format + "'); open a new session for another format.", "session.audio.input.format");
        }
        if (audioStarted && !Objects.equals(newLanguage, language)) {
            return Refusal.invalidValue("The transcription language cannot change once audio has been appended (it is '"
                    + language + "'); open a new session for another language.",
                    "session.audio.input.transcription.language");
        }
        if (audioStarted && (newTurn == null) != (turnDetection == null)) {
            return Refusal.invalidValue("Turn detection cannot be turned on or off once audio has been appended; "
                    + "open a new session for the other mode.", "session.audio.input.turn_detection");
        }
        format = newFormat;
        language = newLanguage;
        turnDetection = newTurn;
        unsupported.clear();
        unsupported.addAll(lacking);
        return null;
    }

    private static Refusal lacks(String feature, String param) {
        return new Refusal("invalid_request_error", UNSUPPORTED, "Parley does not support " + feature
                + "; it is left out of the session and the rest of the update applies.", param);
    }

    /**
     * The session object of {@code session.created} and {@code session.updated}: what applies, in the
     * fields of the SDKs' transcription session type (which has no id, object or expiry).
     */
    ObjectNode toJson() {
        ObjectNode session = NODES.objectNode();
        session.put("type", "transcription");
        ObjectNode input = session.putObject("audio").putObject("input");
        ObjectNode f = input.putObject("format");
        f.put("type", format);
        if (PCM.equals(format)) {
            f.put("rate", PCM_RATE);
        }
        ObjectNode t = input.putObject("transcription");
        t.put("model", model);
        t.put("language", language);
        if (turnDetection == null) {
            input.putNull("turn_detection");
        } else {
            input.set("turn_detection", turnDetection.deepCopy());
        }
        return session;
    }

    private static ObjectNode serverVad() {
        ObjectNode vad = NODES.objectNode();
        vad.put("type", "server_vad");
        return vad;
    }

    /** Why a turn detection object is refused, or null if it is well formed. */
    private static Refusal checkTurnDetection(JsonNode td) {
        String param = "session.audio.input.turn_detection";
        if (!td.isObject()) {
            return Refusal.invalidType(param, "an object or null", td);
        }
        String type = td.path("type").asText("");
        if (type.equals("server_vad")) {
            JsonNode threshold = td.get("threshold");
            if (threshold != null && !threshold.isNull()
                    && (!threshold.isNumber() || threshold.asDouble() < 0 || threshold.asDouble() > 1)) {
                return Refusal.invalidValue("Invalid 'threshold': expected a number from 0 to 1, got " + threshold + ".",
                        param + ".threshold");
            }
            for (String ms : List.of("prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms")) {
                JsonNode v = td.get(ms);
                if (v != null && !v.isNull() && (!v.canConvertToInt() || v.asInt() < 0)) {
                    return Refusal.invalidValue("Invalid '" + ms + "': expected a whole number of milliseconds, got "
                            + v + ".", param + "." + ms);
                }
            }
            return null;
        }
        if (type.equals("semantic_vad")) {
            String eagerness = td.path("eagerness").asText("auto");
            return Set.of("low", "medium", "high", "auto").contains(eagerness) ? null : Refusal.invalidValue(
                    "Invalid value: '" + eagerness + "'. Supported values are: 'low', 'medium', 'high', and 'auto'.",
                    param + ".eagerness");
        }
        return Refusal.invalidValue("Invalid value: '" + type + "'. Supported values are: 'server_vad' and "
                + "'semantic_vad'.", param + ".type");
    }

    private static String quoted(Set<String> values) {
        List<String> q = new ArrayList<>();
        values.forEach(v -> q.add("'" + v + "'"));
        return String.join(", ", q);
    }

    static String kind(JsonNode node) {
        if (node == null || node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        return "an object";
    }
}
