package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.telephony.Archives;
import dev.parley.telephony.SocketClient;
import dev.parley.telephony.Telephone;
import dev.parley.telephony.TwilioStream;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipe examples/routes/customer-finals.camel.yaml on the packaged jar: docs/recipes.md, "Only the customer's words, with a field added". */
@Timeout(180)
class CustomerFinalsRecipeIT {

    private static final String TOKEN = "twilio-auth-token-for-recipes";

    @Test
    void aTwoPartyCallLeavesOnlyTheCustomersFinalsInTheFolderEachWithTheQueueField() throws Exception {
        Path dir = Recipes.folderWith("customer-finals", "customer-finals.camel.yaml");
        // The customer says 0880, then the agent 0930: a Twilio stream of both tracks (inbound = customer).
        Telephone.Call call = Telephone.takingTurns("0880", "0930");
        try (PackagedParley parley = PackagedParley.start(dir, Map.of("PARLEY_TWILIO_AUTH_TOKEN", TOKEN,
                "PARLEY_SESSION_MAX_QUEUED_AUDIO_MS", "30000"));
             SocketClient ws = SocketClient.connect(parley.wsWithoutToken("/twilio/media"), Map.of("X-Twilio-Signature",
                     TwilioSignature.sign(TOKEN, "wss://127.0.0.1:" + parley.port() + "/twilio/media")))) {
            TwilioStream stream = new TwilioStream(ws, "recipe");
            stream.start(List.of("inbound", "outbound"), Map.of());
            stream.audio(Map.of("inbound", call.audio().get("customer"), "outbound", call.audio().get("agent")), 2);
            stream.stop();
            assertEquals(1000, ws.awaitClose(Duration.ofSeconds(60)));

            List<JsonNode> finals = Archives.ofType(Archives.transcript(
                    Archives.await(dir.resolve("archive"), "call_sid", stream.callSid, Duration.ofSeconds(20))), "transcript.final");
            List<JsonNode> customers = finals.stream().filter(f -> f.path("channel").asText().equals("customer")).toList();
            assertFalse(customers.isEmpty(), "the customer was heard: " + finals);
            assertTrue(finals.size() > customers.size(), "the agent was heard too, so the filter has something to leave out: " + finals);

            String session = customers.get(0).path("session_id").asText();
            Path folder = dir.resolve("customer-finals").resolve(session);
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> Recipes.files(folder).size() >= customers.size()),
                    "one file per customer final in " + folder + ": " + Recipes.files(folder));
            Thread.sleep(500); // and no more
            assertEquals(customers.size(), Recipes.files(dir.resolve("customer-finals")).size(),
                    "only the customer's finals: " + Recipes.files(dir.resolve("customer-finals")));
            for (JsonNode f : customers) {
                JsonNode written = Recipes.json(Files.readString(folder.resolve(f.path("seq").asLong() + "-transcript.final.json")));
                ObjectNode expected = f.deepCopy();
                expected.put("queue", "billing");
                assertEquals(expected, written, "the archived envelope, with the field added");
            }
        }
    }
}
