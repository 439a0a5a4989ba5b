package dev.parley.ingest;

import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.session.ClientText;
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
    private static final Set<String> PARAMETERS = Set.of("source", "targets", "rate", "encoding", "record", "token");
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}");
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

    static SessionSettings parse(Map<String, List<String>> query, SessionDefaults defaults, Set<String> sources) throws Invalid {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> p : query.entrySet()) {
            String key = p.getKey();
            if (p.getValue().size() > 1) {
                throw new Invalid("'" + ClientText.shorten(key, 24) + "' is given more than once");
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
                throw new Invalid("unknown parameter '" + ClientText.shorten(key, 24) + "'; known: source, targets, rate, encoding, record, meta.*");
            }
        }
        if (metadata.size() > METADATA_MAX_ENTRIES) {
            throw new Invalid("at most " + METADATA_MAX_ENTRIES + " metadata entries");
        }

        String source = first(query, "source", defaults.source());
        if (!sources.contains(source)) {
            throw new Invalid("source '" + ClientText.shorten(source, 24) + "' is not supported; available: " + String.join(",", sources));
        }
        List<String> targets = defaults.targets();
        if (query.containsKey("targets")) {
            String list = first(query, "targets", "");
            targets = list.isBlank() ? List.of() : List.of(list.split(","));
            for (String target : targets) {
                if (!LANGUAGE.matcher(target).matches()) {
                    throw new Invalid("targets must be ISO 639-1 codes separated by commas, e.g. es,ca");
                }
            }
            targets = targets.stream().distinct().toList();
        }
        String rateText = first(query, "rate", "24000");
        int rate;
        try {
            rate = Integer.parseInt(rateText);
        } catch (NumberFormatException e) {
            rate = -1;
        }
        if (!RATES.contains(rate)) {
            throw new Invalid("rate '" + ClientText.shorten(rateText, 24) + "' is not supported; use 24000, 16000 or 8000");
        }
        String encodingText = first(query, "encoding", "pcm16");
        AudioEncoding encoding = AudioEncoding.fromWireName(encodingText);
        if (encoding == null) {
            throw new Invalid("encoding '" + ClientText.shorten(encodingText, 24) + "' is not supported; use pcm16 or mulaw");
        }
        String recordText = first(query, "record", Boolean.toString(defaults.record()));
        if (!recordText.equals("true") && !recordText.equals("false")) {
            throw new Invalid("record must be true or false");
        }
        return new SessionSettings("listen", source, targets, new AudioFormat(encoding, rate), List.of(CHANNEL), metadata,
                defaults.record(Boolean.parseBoolean(recordText)));
    }

    private static String first(Map<String, List<String>> query, String key, String fallback) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? fallback : values.get(0);
    }
}
