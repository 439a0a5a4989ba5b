package dev.parley.endtoend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One line of an archived transcript.jsonl, which must be one whole JSON object. */
final class ArchiveLine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ArchiveLine() {
    }

    static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not a whole JSON line: " + line, e);
        }
    }
}
