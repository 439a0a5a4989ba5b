package dev.parley.ingest.openai;

import dev.parley.ingest.SessionDefaults;
import dev.parley.session.ClientText;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The query of a {@code /v1/realtime} upgrade, checked before it is accepted: {@code intent=transcription},
 * or a {@code model} without an intent (the official SDKs always connect to {@code /realtime?model=...}),
 * opens a transcription session whatever the model (Parley's recognizer transcribes); another intent is
 * refused. Parley's own {@code targets}, {@code record} and {@code meta.*} work as on {@code /v1/listen};
 * {@code token} is for authentication; anything else is ignored, as clients written for the service may add it.
 */
record TranscriptionRequest(String source, List<String> targets, boolean record, Map<String, String> metadata) {

    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}");
    private static final Pattern METADATA_KEY = Pattern.compile("[a-z0-9_-]{1,40}");
    private static final String METADATA_PREFIX = "meta.";

    /** A query that cannot open a session; the message is for the client. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    static TranscriptionRequest parse(Map<String, List<String>> query, SessionDefaults defaults) throws Invalid {
        for (Map.Entry<String, List<String>> p : query.entrySet()) {
            if (p.getValue().size() > 1) {
                throw new Invalid("The query parameter '" + ClientText.shorten(p.getKey(), 24) + "' is given more than once.");
            }
        }
        String intent = first(query, "intent", null);
        if (intent != null && !"transcription".equals(intent) || intent == null && !query.containsKey("model")) {
            throw new Invalid("Parley serves transcription sessions only: connect to /v1/realtime?intent=transcription "
                    + "or /v1/realtime?model=<any model>" + (intent == null ? "." : " (got intent '"
                    + ClientText.shorten(intent, 24) + "')."));
        }
        List<String> targets = defaults.targets();
        if (query.containsKey("targets")) {
            String list = first(query, "targets", "");
            targets = list.isBlank() ? List.of() : List.of(list.split(","));
            for (String target : targets) {
                if (!LANGUAGE.matcher(target).matches()) {
                    throw new Invalid("targets must be ISO 639-1 codes separated by commas, e.g. es,ca.");
                }
            }
            targets = targets.stream().distinct().toList();
        }
        String record = first(query, "record", Boolean.toString(defaults.record()));
        if (!record.equals("true") && !record.equals("false")) {
            throw new Invalid("record must be true or false.");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> p : query.entrySet()) {
            if (!p.getKey().startsWith(METADATA_PREFIX)) {
                continue;
            }
            String name = p.getKey().substring(METADATA_PREFIX.length());
            String value = p.getValue().get(0);
            if (!METADATA_KEY.matcher(name).matches() || value.length() > 200) {
                throw new Invalid("metadata keys are 1-40 of a-z 0-9 _ -, values at most 200 characters.");
            }
            metadata.put(name, value);
        }
        if (metadata.size() > 10) {
            throw new Invalid("at most 10 metadata entries.");
        }
        return new TranscriptionRequest(defaults.source(), targets, defaults.record(Boolean.parseBoolean(record)), metadata);
    }

    private static String first(Map<String, List<String>> query, String key, String fallback) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? fallback : values.get(0);
    }
}
