package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.privacy.SpokenNumbers;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WavFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recipe examples/routes/transcripts-to-folder.camel.yaml on the packaged jar: docs/recipes.md, "Every
 * final transcript into a folder". It runs as a call center would: redaction on in its
 * {@code application.properties}, a caller saying a card number and a phone number (eSpeak NG's
 * speech); neither is in any file Parley or the recipe wrote, and {@code audio.wav} is silent where
 * they were said and as sent everywhere else.
 */
@Timeout(180)
class TranscriptsToFolderRecipeIT {

    @Test
    void eachFinalTranscriptIsAFileHoldingExactlyTheRedactedEnvelopeTheClientReceived() throws Exception {
        Path dir = Recipes.folderWith("transcripts-to-folder", "transcripts-to-folder.camel.yaml");
        // PocketSphinx's general model hears few of eSpeak NG's digits: a payment line's model (README, Privacy).
        Path model = Path.of(TranscriptsToFolderRecipeIT.class.getResource("/privacy/payments.arpa").toURI());
        Files.writeString(dir.resolve("application.properties"), String.join("\n",
                "parley.redaction.enabled = true",
                "parley.recognizer.pocketsphinx.lm = " + model,
                // The speech is sent at once, not at the pace of speech: Parley queues it.
                "parley.session.max-queued-audio-ms = 30000", "parley.session.max-ahead-ms = 60000", ""));
        SpokenNumbers speech = SpokenNumbers.render();
        try (PackagedParley parley = PackagedParley.start(dir);
             ListenClient client = ListenClient.connect(parley.ws("/v1/listen?targets=&rate=16000"))) {
            client.stream(speech.pcm, SpokenNumbers.RATE * 2 / 25, SpokenNumbers.RATE * 2, false);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(90));
            List<JsonNode> finals = client.events("transcript.final");
            assertTrue(finals.stream().anyMatch(f -> f.path("text").asText().contains("[CARD]")), "no [CARD] in " + finals);
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

            Path audio;
            try (Stream<Path> files = Files.walk(dir.resolve("archive"))) {
                audio = files.filter(f -> f.getFileName().toString().equals("audio.wav")).findFirst().orElseThrow();
            }
            Path callJson = audio.resolveSibling("call.json");
            assertTrue(Recipes.eventually(Duration.ofSeconds(10), () -> {
                try {
                    return Recipes.json(Files.readString(callJson)).hasNonNull("ended_at");
                } catch (java.io.IOException e) {
                    return false;
                }
            }), "the archive is closed");
            speech.assertMaskedOnlyWhereRedacted(WavFile.read(audio).pcm(), finals);
        }
        List<String> leaks = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path file : all.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".wav")).toList()) {
                files++;
                String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                for (String number : List.of(SpokenNumbers.CARD, SpokenNumbers.PHONE)) {
                    if (SpokenNumbers.leaksInFile(text, number)) {
                        leaks.add(dir.relativize(file) + " holds digits of " + number);
                    }
                }
            }
        }
        System.out.printf("packaged jar, redaction in application.properties: %d files Parley and the recipe wrote "
                + "(all but the audio, checked above), %d holding six digits of the card or phone in a row%n", files, leaks.size());
        assertTrue(files > 5, "files walked: " + files);
        assertEquals(List.of(), leaks);
    }
}
