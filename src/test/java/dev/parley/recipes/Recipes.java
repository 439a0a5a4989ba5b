package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WavFile;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What the recipe tests share: a folder with the recipe's route file, a spoken session, files written by a sink. */
final class Recipes {

    static final Path EXAMPLES = Path.of("examples", "routes").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Recipes() {
    }

    /** A fresh folder to run Parley in, its routes/ holding these files of examples/routes/, copied as a user would. */
    static Path folderWith(String name, String... recipes) throws IOException {
        Path dir = PackagedParley.folder(name);
        for (String recipe : recipes) {
            Files.copy(EXAMPLES.resolve(recipe), dir.resolve("routes").resolve(recipe));
        }
        return dir;
    }

    /**
     * A client says a LibriVox recording (24 kHz PCM16 in 40 ms frames, at real-time pace) over the
     * WebSocket at {@code uri}, ends its input, and waits for session.closed (the connection then closes).
     */
    static ListenClient say(URI uri, String recording) throws Exception {
        WavFile audio = LibriVox.get(recording).at(24000);
        ListenClient client = ListenClient.connect(uri);
        try {
            client.stream(audio.pcm(), 24000 * 2 / 25, 24000 * 2, true);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(60));
            client.awaitClose(Duration.ofSeconds(10));
            return client;
        } catch (Exception | AssertionError e) {
            client.close();
            throw e;
        }
    }

    /** The session's id, from the first event its client received. */
    static String sessionId(ListenClient client) {
        return client.events().get(0).json().path("session_id").asText();
    }

    /** Waits until the condition holds, at most {@code timeout}; false if it never did. */
    static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Every regular file under {@code dir} (none when it does not exist), sorted by path. */
    static List<Path> files(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Every file under {@code dir} parsed as JSON; a file that is not JSON fails the test, naming it. */
    static List<JsonNode> jsonFiles(Path dir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (Path file : files(dir)) {
            try {
                out.add(JSON.readTree(file.toFile()));
            } catch (IOException e) {
                throw new AssertionError(file + " is not JSON: " + Files.readString(file), e);
            }
        }
        return out;
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }
}
