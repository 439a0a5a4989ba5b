package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Finds a session's archive folder by a metadata value in its call.json, and reads its transcript and audio. */
public final class Archives {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Archives() {
    }

    /** The folder whose call.json has metadata[key] = value and an end (the session closed), waiting for it. */
    public static Path await(Path root, String key, String value, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Path found = find(root, key, value);
            if (found != null && JSON.readTree(found.resolve("call.json").toFile()).has("ended_at")) {
                return found;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no closed archive with metadata " + key + "=" + value);
    }

    /** The folder whose call.json has metadata[key] = value, closed or not, waiting for it. */
    static Path awaitOpen(Path root, String key, String value, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Path found = find(root, key, value);
            if (found != null) {
                return found;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no archive with metadata " + key + "=" + value);
    }

    static Path find(Path root, String key, String value) throws Exception {
        if (!Files.exists(root)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.getFileName().toString().equals("call.json")).toList()) {
                try {
                    JsonNode call = JSON.readTree(p.toFile());
                    if (value.equals(call.path("metadata").path(key).asText(null))) {
                        return p.getParent();
                    }
                } catch (Exception partlyWritten) {
                    // read again on the next round
                }
            }
        }
        return null;
    }

    public static List<JsonNode> transcript(Path folder) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(folder.resolve("transcript.jsonl"))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    public static List<JsonNode> ofType(List<JsonNode> events, String type) {
        return events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
    }

    static String text(List<JsonNode> events, String type, String channel) {
        return String.join(" ", events.stream().filter(e -> e.path("type").asText().equals(type)
                && e.path("channel").asText().equals(channel)).map(e -> e.path("text").asText()).toList());
    }

    /** The samples of an archived audio.wav: its format tag (7 = mu-law), channels, rate and data chunk. */
    public record Wav(int format, int channels, int rate, byte[] data) {
    }

    public static Wav wav(Path folder) throws Exception {
        byte[] bytes = Files.readAllBytes(folder.resolve("audio.wav"));
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int format = 0;
        int channels = 0;
        int rate = 0;
        for (int pos = 12; pos + 8 <= bytes.length; ) {
            String id = new String(bytes, pos, 4, StandardCharsets.US_ASCII);
            int size = b.getInt(pos + 4);
            if (id.equals("fmt ")) {
                format = b.getShort(pos + 8);
                channels = b.getShort(pos + 10);
                rate = b.getInt(pos + 12);
            } else if (id.equals("data")) {
                return new Wav(format, channels, rate, Arrays.copyOfRange(bytes, pos + 8, pos + 8 + size));
            }
            pos += 8 + size + (size & 1);
        }
        throw new AssertionError(folder.resolve("audio.wav") + " has no data chunk");
    }
}
