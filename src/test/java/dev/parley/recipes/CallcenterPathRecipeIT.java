package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recipe examples/routes/callcenter.camel.yaml on the packaged jar: docs/recipes.md, "A second WebSocket path
 * with its own defaults". Webhooks are on, so "not recorded" means neither archived nor sent.
 */
@Timeout(240)
class CallcenterPathRecipeIT {

    private static WebhookReceiver hooks;
    private static PackagedParley parley;

    @BeforeAll
    static void start() throws Exception {
        hooks = new WebhookReceiver();
        parley = PackagedParley.start(Recipes.folderWith("callcenter", "callcenter.camel.yaml"),
                Map.of("PARLEY_WEBHOOKS_URLS", hooks.url(), "PARLEY_WEBHOOKS_SECRET", WebhookReceiver.SECRET));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
        if (hooks != null) {
            hooks.close();
        }
    }

    @Test
    void aClientOfTheCallcenterPathWithoutTargetsGetsCatalanTranslationsAndIsNotRecorded() throws Exception {
        try (ListenClient client = Recipes.say(parley.ws("/callcenter"), "0880")) {
            List<JsonNode> translations = client.events("translation.final");
            assertFalse(translations.isEmpty(), "translations: " + client.types());
            translations.forEach(t -> assertEquals("ca", t.path("language").asText(), t.toString()));
            assertNotRecorded(Recipes.sessionId(client));
        }
    }

    @Test
    void aClientOfTheCallcenterPathAskingToBeRecordedIsStillNeitherArchivedNorSentToWebhooks() throws Exception {
        try (ListenClient client = Recipes.say(parley.ws("/callcenter?record=true"), "0880")) {
            assertFalse(client.events("transcript.final").isEmpty(), "it is transcribed all the same: " + client.types());
            assertNotRecorded(Recipes.sessionId(client));
        }
    }

    @Test
    void theListenPathKeepsParleysOwnDefaultsSpanishAndRecorded() throws Exception {
        try (ListenClient client = Recipes.say(parley.ws("/v1/listen"), "0880")) {
            List<JsonNode> translations = client.events("translation.final");
            assertFalse(translations.isEmpty(), "translations: " + client.types());
            translations.forEach(t -> assertEquals("es", t.path("language").asText(), t.toString()));
            String session = Recipes.sessionId(client);
            assertTrue(Recipes.eventually(Duration.ofSeconds(10), () -> archived(session) != null), "archived");
            assertTrue(Files.isRegularFile(archived(session).resolve("transcript.jsonl")));
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> webhooksOf(session).stream()
                    .anyMatch(e -> e.path("type").asText().equals("session.closed"))), "sent to webhooks");
        }
    }

    /** Nothing of the session in the archive or at the webhook receiver, a while after it closed. */
    private static void assertNotRecorded(String session) throws Exception {
        Thread.sleep(2000);
        assertEquals(null, archived(session), "no archive folder for " + session);
        assertEquals(List.of(), webhooksOf(session), "no webhook for " + session);
    }

    private static Path archived(String session) {
        Path root = parley.dir().resolve("archive");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> p.getFileName().toString().equals(session)).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static List<JsonNode> webhooksOf(String session) {
        return hooks.verified().stream().map(WebhookReceiver.Delivery::event)
                .filter(e -> e.path("session_id").asText().equals(session)).toList();
    }
}
