package dev.parley.console;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.telephony.SocketClient;
import dev.parley.telephony.Telephone;
import dev.parley.telephony.TwilioStream;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console on the packaged jar, as a user runs it: staff from the environment, the live feed of a
 * Twilio call, the call found in the archive through the index and its audio served in ranges; and,
 * the index deleted, the next start rebuilding it from the archive.
 */
@Timeout(240)
class ConsoleIT {

    private static final String TOKEN = "twilio-auth-token-for-console-it";
    private static final String KEY = "dave-staff-key-0123456789";

    @Test
    void staffWatchAndFindACallOnThePackagedJarAndTheIndexIsRebuiltFromTheArchive() throws Exception {
        Path dir = PackagedParley.folder("console");
        Map<String, String> env = Map.of("PARLEY_CONSOLE_STAFF", "dave:" + KEY, "PARLEY_TWILIO_AUTH_TOKEN", TOKEN,
                "PARLEY_SESSION_MAX_QUEUED_AUDIO_MS", "30000");
        String session;
        try (PackagedParley parley = PackagedParley.start(dir, env)) {
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(401, http.send(HttpRequest.newBuilder(parley.http("/console")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
            StaffClient dave = StaffClient.signIn(parley::http, http, "dave", KEY);
            assertEquals(200, dave.get("/console").statusCode());
            assertEquals(200, dave.get("/console/console.js").statusCode());

            Telephone.Call call = Telephone.takingTurns("0880", "0930");
            try (StaffClient.Events feed = dave.events("?types=session.created,translation.final,session.closed");
                 SocketClient ws = SocketClient.connect(parley.wsWithoutToken("/twilio/media"), Map.of("X-Twilio-Signature",
                         TwilioSignature.sign(TOKEN, "wss://127.0.0.1:" + parley.port() + "/twilio/media")))) {
                TwilioStream stream = new TwilioStream(ws, "packaged");
                stream.start(List.of("inbound", "outbound"), Map.of("crm_id", "PKG-1"));
                session = feed.await(e -> e.path("type").asText().equals("session.created"), Duration.ofSeconds(30))
                        .path("session_id").asText();
                assertEquals(1, dave.json("/api/sessions").path("sessions").size());
                stream.audio(Map.of("inbound", call.audio().get("customer"), "outbound", call.audio().get("agent")), 2);
                stream.stop();
                assertEquals(1000, ws.awaitClose(Duration.ofSeconds(60)));
                feed.await(e -> e.path("type").asText().equals("translation.final"), Duration.ofSeconds(30));
                feed.await(e -> e.path("type").asText().equals("session.closed"), Duration.ofSeconds(30));
            }
            assertEquals(session, awaitOne(dave, "?meta=pkg-1").path("sessions").get(0).path("id").asText());
            assertEquals(206, dave.bytes("/api/sessions/" + session + "/audio.wav", "Range", "bytes=0-99").statusCode());
        }

        try (var index = Files.walk(dir.resolve("state").resolve("archive-index"))) {
            index.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        try (PackagedParley parley = PackagedParley.start(dir, env)) {
            StaffClient dave = StaffClient.signIn(parley::http, HttpClient.newHttpClient(), "dave", KEY);
            assertEquals(session, awaitOne(dave, "?meta=pkg-1").path("sessions").get(0).path("id").asText(),
                    "rebuilt from the archive at start-up");
            assertTrue(parley.log().contains("Archive index rebuilt: 1 sessions"), PackagedParley.tail(parley.log(), 20));
        }
    }

    private static JsonNode awaitOne(StaffClient staff, String query) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode found = staff.json("/api/sessions/search" + query);
        while (found.path("total").asInt() != 1 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            found = staff.json("/api/sessions/search" + query);
        }
        assertEquals(1, found.path("total").asInt(), found.toString());
        return found;
    }
}
