package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipe examples/routes/transcripts-to-folder.camel.yaml on the packaged jar: docs/recipes.md, "Every final transcript into a folder". */
@Timeout(180)
class TranscriptsToFolderRecipeIT {

    @Test
    void eachFinalTranscriptIsAFileHoldingExactlyTheEnvelopeTheClientReceived() throws Exception {
        Path dir = Recipes.folderWith("transcripts-to-folder", "transcripts-to-folder.camel.yaml");
        try (PackagedParley parley = PackagedParley.start(dir);
             ListenClient client = Recipes.say(parley.ws("/v1/listen?targets="), "0880")) {
            List<JsonNode> finals = client.events("transcript.final");
            assertFalse(finals.isEmpty(), "the client got finals: " + client.types());
            Path session = dir.resolve("transcripts").resolve(Recipes.sessionId(client));
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> Recipes.files(session).size() == finals.size()),
                    "one file per final in " + session + ": " + Recipes.files(session));

            for (JsonNode sent : finals) {
                Path file = session.resolve(sent.path("seq").asLong() + "-transcript.final.json");
                assertTrue(Files.isRegularFile(file), file + " among " + Recipes.files(session));
                JsonNode written = Recipes.json(Files.readString(file));
                assertEquals(sent, written, "the file is the envelope the client received");
                for (String field : List.of("type", "session_id", "seq", "text", "item_id", "start_ms", "end_ms")) {
                    assertTrue(written.hasNonNull(field), field + " in " + written);
                }
                assertEquals("transcript.final", written.path("type").asText());
            }
            assertTrue(Recipes.files(dir.resolve("transcripts")).stream().noneMatch(f -> f.toString().endsWith(".part")),
                    "no temporary file is left");
        }
    }
}
