package dev.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.time.Instant;

/**
 * One event on its way to one URL, as kept in {@code <dir>/pending/<event-id>.<url-hash>.json}. The payload is
 * stored as a JSON string so that exactly the bytes enqueued are the bytes posted and signed. {@code replayedAt}
 * is set on a dead letter sent again: its retries count from then, its place in the receiver's order from
 * {@code createdAt}.
 */
record PendingDelivery(String eventId, String eventType, String url, String payload, int attempts,
                       Instant createdAt, Instant nextAttemptAt, Failure lastFailure, Instant replayedAt) {

    static final int FORMAT_VERSION = 1;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static PendingDelivery first(String eventId, String eventType, String url, String payload, Instant now) {
        return new PendingDelivery(eventId, eventType, url, payload, 0, now, now, null, null);
    }

    PendingDelivery failed(int newAttempts, Instant next, Failure failure) {
        return new PendingDelivery(eventId, eventType, url, payload, newAttempts, createdAt, next, failure, replayedAt);
    }

    /** A dead letter sent again from {@code now}: no attempt made yet, a new retry window. */
    PendingDelivery replayed(Instant now) {
        return new PendingDelivery(eventId, eventType, url, payload, 0, createdAt, now, lastFailure, now);
    }

    /** When the last attempt is due: {@code giveUpAfter} from the event, or from its replay. */
    Instant giveUpAt(java.time.Duration giveUpAfter) {
        return (replayedAt != null ? replayedAt : createdAt).plus(giveUpAfter);
    }

    ObjectNode toNode() {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", FORMAT_VERSION);
        node.put("event_id", eventId);
        node.put("event_type", eventType);
        node.put("url", url);
        node.put("attempts", attempts);
        node.put("created_at", createdAt.toString());
        node.put("next_attempt_at", nextAttemptAt.toString());
        if (replayedAt != null) {
            node.put("replayed_at", replayedAt.toString());
        }
        if (lastFailure != null) {
            node.set("last_failure", lastFailure.toNode());
        }
        node.put("payload", payload);
        return node;
    }

    byte[] toJson() {
        return bytes(toNode());
    }

    static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a webhook delivery", e);
        }
    }

    /** Reads a pending file; throws on anything incomplete rather than guessing. */
    static PendingDelivery fromJson(byte[] content) throws IOException {
        JsonNode node = JSON.readTree(content);
        if (node == null || !node.isObject()) {
            throw new IOException("not a JSON object");
        }
        String eventId = text(node, "event_id", true);
        String url = text(node, "url", true);
        String payload = text(node, "payload", true);
        String type = text(node, "event_type", false);
        int attempts = node.path("attempts").asInt(0);
        Instant created = instant(node, "created_at");
        Instant next = instant(node, "next_attempt_at");
        Failure failure = node.hasNonNull("last_failure") ? Failure.fromNode(node.get("last_failure")) : null;
        Instant replayed = node.hasNonNull("replayed_at") ? instant(node, "replayed_at") : null;
        return new PendingDelivery(eventId, type, url, payload, attempts, created, next, failure, replayed);
    }

    private static String text(JsonNode node, String field, boolean required) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new IOException("field " + field + " is missing");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw new IOException("field " + field + " is not a string");
        }
        return value.asText();
    }

    private static Instant instant(JsonNode node, String field) throws IOException {
        String value = text(node, field, false);
        try {
            return value == null ? Instant.now() : Instant.parse(value);
        } catch (RuntimeException e) {
            throw new IOException("field " + field + " is not an ISO instant: " + value);
        }
    }

    /**
     * Why an attempt failed: an HTTP status with the start of the response body, or an exception.
     */
    record Failure(Instant at, Integer status, String body, String error) {

        static final int SNIPPET_CHARS = 300;

        static Failure http(int status, String body) {
            return new Failure(Instant.now(), status, snippet(body), null);
        }

        static Failure exception(Throwable t) {
            return new Failure(Instant.now(), null, null, describe(t));
        }

        static Failure message(String error) {
            return new Failure(Instant.now(), null, null, error);
        }

        String describe() {
            if (status != null) {
                return "HTTP " + status + (body == null || body.isEmpty() ? "" : ": " + body);
            }
            return error;
        }

        ObjectNode toNode() {
            ObjectNode node = JSON.createObjectNode();
            node.put("at", at.toString());
            if (status != null) {
                node.put("status", status);
                node.put("body", body);
            } else {
                node.put("error", error);
            }
            return node;
        }

        static Failure fromNode(JsonNode node) {
            Instant at;
            try {
                at = Instant.parse(node.path("at").asText());
            } catch (RuntimeException e) {
                at = Instant.now();
            }
            Integer status = node.hasNonNull("status") ? node.get("status").asInt() : null;
            return new Failure(at, status, node.path("body").asText(null), node.path("error").asText(null));
        }

        static String snippet(String body) {
            if (body == null) {
                return "";
            }
            String flat = body.replaceAll("\\s+", " ").strip();
            return flat.length() <= SNIPPET_CHARS ? flat : flat.substring(0, SNIPPET_CHARS) + "…";
        }

        static String describe(Throwable t) {
            StringBuilder out = new StringBuilder();
            Throwable current = t;
            for (int depth = 0; current != null && depth < 4; depth++) {
                if (out.length() > 0) {
                    out.append(" <- ");
                }
                out.append(current.getClass().getName());
                if (current.getMessage() != null && !current.getMessage().isBlank()) {
                    out.append(": ").append(current.getMessage());
                }
                if (current.getCause() == current) {
                    break;
                }
                current = current.getCause();
            }
            return snippet(out.toString());
        }
    }
}
