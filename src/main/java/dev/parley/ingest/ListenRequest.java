package dev.parley.ingest;

import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.session.SessionSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The query of a {@code /v1/listen} connection, checked before a session exists. Anything invalid
 * becomes a {@link Invalid} with a reason short enough for a WebSocket close frame (123 bytes).
 */
final class ListenRequest {

    static final String CHANNEL = "speaker";
    private static final Set<Integer> RATES = Set.of(24000, 16000, 8000);
    private static final Set<String> PARAMETERS = Set.of("source", "rate", "encoding");
    private static final String METADATA_PREFIX = "meta.";
    private static final Pattern METADATA_KEY = Pattern.compile("[a-z0-9_-]{1,40}");
    private static final int METADATA_MAX_ENTRIES = 10;
    private static final int METADATA_MAX_VALUE = 200;

    /** A query that cannot open a session. */
    static final class Invalid extends Exception {
        Invalid(String reason) {
            super(reason);
        }
    }

    private ListenRequest() {
    }

    static SessionSettings parse(Map<String, List<String>> query, String defaultSource, Set<String> sources)
            throws Invalid {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> p : query.entrySet()) {
            String key = p.getKey();
            if (p.getValue().size() > 1) {
                throw new Invalid("'" + shorten(key) + "' is given more than once");
            }
            if (key.startsWith(METADATA_PREFIX)) {
                String name = key.substring(METADATA_PREFIX.length());
                String value = p.getValue().get(0);
                if (!METADATA_KEY.matcher(name).matches()) {
                    throw new Invalid("metadata keys are 1-40 of a-z 0-9 _ -");
                }
                if (value.length() > METADATA_MAX_VALUE) {
                    throw new Invalid("metadata '" + name + "' is over " + METADATA_MAX_VALUE + " characters");
                }
                metadata.put(name, value);
            } else if (!PARAMETERS.contains(key)) {
                throw new Invalid("unknown parameter '" + shorten(key) + "'; known: source, rate, encoding, meta.*");
            }
        }
        if (metadata.size() > METADATA_MAX_ENTRIES) {
            throw new Invalid("at most " + METADATA_MAX_ENTRIES + " metadata entries");
        }

        String source = first(query, "source", defaultSource);
        if (!sources.contains(source)) {
            throw new Invalid("source '" + shorten(source) + "' is not supported; available: " + String.join(",", sources));
        }
        String rateText = first(query, "rate", "24000");
        int rate;
        try {
            rate = Integer.parseInt(rateText);
        } catch (NumberFormatException e) {
            rate = -1;
        }
        if (!RATES.contains(rate)) {
            throw new Invalid("rate '" + shorten(rateText) + "' is not supported; use 24000, 16000 or 8000");
        }
        String encodingText = first(query, "encoding", "pcm16");
        AudioEncoding encoding = AudioEncoding.fromWireName(encodingText);
        if (encoding == null) {
            throw new Invalid("encoding '" + shorten(encodingText) + "' is not supported; use pcm16 or mulaw");
        }
        return new SessionSettings("listen", source, new AudioFormat(encoding, rate), List.of(CHANNEL), metadata);
    }

    private static String first(Map<String, List<String>> query, String key, String fallback) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? fallback : values.get(0);
    }

    private static String shorten(String text) {
        return text.length() <= 24 ? text : text.substring(0, 24) + "...";
    }
}
