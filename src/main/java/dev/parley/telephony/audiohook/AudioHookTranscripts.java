package dev.parley.telephony.audiohook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.session.SessionEvent;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongUnaryOperator;

/**
 * A {@code transcript.final} as the parameters of an AudioHook {@code event} message: one
 * {@code transcript} entity in the shape of the reference implementation's protocol types (its
 * transcription connector), offsets and durations in AudioHook's timeline.
 */
final class AudioHookTranscripts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AudioHookTranscripts() {
    }

    /**
     * @param channelId the channel's place in the selected media's {@code channels} (0 or 1)
     * @param position  a time of the call in ms (as the event's) to AudioHook's position in samples at 8 kHz
     * @param language  the channel's language as a tag such as {@code en-US}, or null if none is known
     */
    static ObjectNode event(SessionEvent fin, int channelId, LongUnaryOperator position, String language) {
        ObjectNode parameters = JSON.createObjectNode();
        ObjectNode entity = parameters.putArray("entities").addObject().put("type", "transcript");
        ObjectNode data = entity.putObject("data");
        // One id per utterance, the same however often it is sent (a replay, a reconnect).
        data.put("id", UUID.nameUUIDFromBytes((fin.sessionId() + "/" + fin.itemId()).getBytes(StandardCharsets.UTF_8)).toString());
        data.put("channelId", channelId);
        data.put("isFinal", true);
        long start = position.applyAsLong(fin.startMs());
        data.put("offset", duration(start));
        data.put("duration", duration(position.applyAsLong(fin.endMs()) - start));
        ObjectNode alternative = data.putArray("alternatives").addObject();
        if (fin.field("confidence") instanceof Number confidence) {
            alternative.put("confidence", confidence.doubleValue());
        }
        if (language != null) {
            alternative.putArray("languages").add(language);
        }
        ObjectNode display = alternative.putArray("interpretations").addObject().put("type", "display")
                .put("transcript", fin.text());
        if (fin.field("words") instanceof List<?> words && !words.isEmpty()) {
            ArrayNode tokens = display.putArray("tokens");
            for (Object w : words) {
                Map<?, ?> word = (Map<?, ?>) w;
                long wordStart = position.applyAsLong(((Number) word.get("start_ms")).longValue());
                long wordEnd = position.applyAsLong(((Number) word.get("end_ms")).longValue());
                ObjectNode token = tokens.addObject().put("type", "word").put("value", (String) word.get("text"))
                        .put("confidence", ((Number) word.get("confidence")).doubleValue())
                        .put("offset", duration(wordStart)).put("duration", duration(wordEnd - wordStart));
                if (language != null) {
                    token.put("language", language);
                }
            }
        }
        return parameters;
    }

    /** An ISO 8601 duration in seconds, as AudioHook writes them: {@code PT1.234S}. */
    static String duration(long samples) {
        return String.format(Locale.ROOT, "PT%.3fS", Math.max(0, samples) / 8000.0);
    }
}
