package dev.parley.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.audio.G711;
import dev.parley.console.StaffClient;
import dev.parley.telephony.Archives;
import dev.parley.telephony.SocketClient;
import dev.parley.telephony.TwilioStream;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.Chromium;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

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
 * A caller says a card number and a phone number (eSpeak NG's speech at 16 kHz, streamed as a client
 * would) with redaction on: no stretch of either number is in any file Parley writes, any webhook,
 * or any translation, and events say what was redacted and where; a supervisor watching the call on
 * the console, in Chromium, never sees them either.
 */
class RedactionEndToEndTest {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final String TWILIO_TOKEN = "twilio-auth-token-for-redaction";
    private static ParleyServer parley;
    private static WebhookReceiver hooks;
    private static SpokenNumbers speech;

    private static final String STAFF_KEY = "carol-staff-key-0123456789";

    @BeforeAll
    static void start() throws Exception {
        speech = SpokenNumbers.render();
        hooks = new WebhookReceiver();
        Path model = Path.of(RedactionEndToEndTest.class.getResource("/privacy/payments.arpa").toURI());
        parley = ParleyServer.start(Map.ofEntries(Map.entry("parley.redaction.enabled", "true"),
                Map.entry("parley.translation.targets", "es"), Map.entry("parley.twilio.auth-token", TWILIO_TOKEN),
                Map.entry("parley.recognizer.pocketsphinx.lm", model.toString()),
                Map.entry("parley.recognizer.pocketsphinx.warm-decoders", "1"),
                Map.entry("parley.webhooks.urls", hooks.url()), Map.entry("parley.webhooks.secret", WebhookReceiver.SECRET),
                Map.entry("parley.webhooks.events", "transcript.partial,transcript.final,translation.final,session.closed"),
                Map.entry("parley.session.max-queued-audio-ms", "30000"),
                Map.entry("parley.console.staff", "carol:" + STAFF_KEY)));
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
    void aCardAndAPhoneNumberSpokenOnListenAreInNoFileNoWebhookAndNoTranslation() throws Exception {
        String sessionId;
        List<ListenClient.Received> live;
        // A supervisor watches the console's live feed of every session meanwhile, and another watches
        // the call on the console itself, in Chromium: everything the page shows is recorded as it shows it.
        StaffClient.Events console = StaffClient.signIn(parley, "carol", STAFF_KEY)
                .events("?types=transcript.partial,transcript.final,translation.final,session.closed");
        List<String> shownInConsole;
        String consoleLanes;
        try (Chromium browser = Chromium.start(null, "redaction");
             ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&rate=16000&meta.call_id=redact-listen"))) {
            sessionId = client.await("session.created", Duration.ofSeconds(10)).json().path("session_id").asText();
            WebDriver driver = browser.driver();
            WebDriverWait wait = new WebDriverWait(driver, Chromium.WAIT);
            driver.get(parley.http("/console").toString());
            driver.findElement(By.id("name")).sendKeys("carol");
            driver.findElement(By.id("key")).sendKeys(STAFF_KEY);
            driver.findElement(By.id("sign-in")).click();
            wait.until(d -> d.findElement(By.id("who")).getText().contains("carol"));
            browser.js().executeScript("window.shown = [];"
                    + "new MutationObserver(ms => ms.forEach(m => window.shown.push(m.target.textContent)))"
                    + ".observe(document.getElementById('lanes'), {childList: true, subtree: true, characterData: true});"
                    + "location.hash = '#watch/' + arguments[0];", sessionId);
            wait.until(d -> d.findElement(By.id("watch-state")).getText().equals("live"));
            client.stream(speech.pcm, SpokenNumbers.RATE * 2 / 25, SpokenNumbers.RATE * 2, false);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(90));
            live = client.events();
            wait.until(d -> d.findElement(By.id("watch-state")).getText().startsWith("ended"));
            consoleLanes = driver.findElement(By.id("lanes")).getText();
            @SuppressWarnings("unchecked")
            List<String> shown = (List<String>) browser.js().executeScript("return window.shown");
            shownInConsole = shown;
        }
        Path folder = Archives.await(parley.archive(), "call_id", "redact-listen", Duration.ofSeconds(10));
        List<JsonNode> archived = Archives.transcript(folder);
        List<JsonNode> finals = Archives.ofType(archived, "transcript.final");
        finals.forEach(f -> System.out.println("final: " + f.path("text").asText() + "  " + f.path("redactions")));
        Archives.ofType(archived, "translation.final").forEach(f -> System.out.println("translation: " + f.path("text").asText()));

        assertTrue(finals.stream().anyMatch(f -> f.path("text").asText().contains("[CARD]")), "no [CARD] in " + finals);
        for (JsonNode f : finals) {
            for (JsonNode r : f.path("redactions")) {
                String text = f.path("text").asText();
                assertEquals("[" + r.path("type").asText() + "]", text.substring(r.path("start").asInt(), r.path("end").asInt()));
            }
        }
        List<String> numbers = List.of(SpokenNumbers.CARD, SpokenNumbers.PHONE);
        // The speaker's own client is redacted too (parley.redaction.speaker-sees-original is off by default).
        assertTrue(live.stream().anyMatch(e -> e.type().equals("transcript.final") && e.json().path("text").asText()
                .contains("[CARD]")), "the speaker's client got no [CARD]");
        live.forEach(e -> assertNoNumberIn("the speaker's live " + e.type(), e.json().path("text").asText(), numbers));
        assertNoNumberIn("transcript.jsonl", textsOf(archived), numbers);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path caption : files.filter(p -> p.getFileName().toString().startsWith("captions.")).toList()) {
                assertNoNumberIn(caption.getFileName().toString(), cueTextOf(caption), numbers);
            }
        }
        assertFalse(Archives.ofType(archived, "translation.final").isEmpty(), "no translation");
        List<JsonNode> hooked = awaitWebhooks(sessionId);
        assertTrue(hooked.stream().anyMatch(e -> e.path("type").asText().equals("transcript.final")));
        hooked.forEach(e -> assertNoNumberIn("webhook " + e.path("type").asText(), e.path("text").asText(), numbers));
        live.stream().filter(e -> e.type().equals("translation.final"))
                .forEach(e -> assertNoNumberIn("the client's translation", e.json().path("text").asText(), numbers));
        JsonNode redaction = JSON.readTree(folder.resolve("call.json").toFile()).path("redaction");
        assertEquals("silence", redaction.path("audio").asText());
        assertTrue(redaction.path("redacted").path("CARD").asInt() >= 1, redaction.toString());
        assertEquals(0, redaction.path("audio_silenced_unjudged_ms").asLong(-1), "audio silenced at the bound");

        speech.assertMaskedOnlyWhereRedacted(WavFile.read(folder.resolve("audio.wav")).pcm(), finals);

        try (console) {
            console.await(e -> e.path("type").asText().equals("session.closed") && e.path("session_id").asText().equals(sessionId),
                    Duration.ofSeconds(30));
            List<JsonNode> watched = console.received.stream().filter(e -> e.path("session_id").asText().equals(sessionId)).toList();
            assertTrue(watched.stream().anyMatch(e -> e.path("text").asText().contains("[CARD]")), "the console shows [CARD]");
            watched.forEach(e -> assertNoNumberIn("the console's live " + e.path("type").asText(), e.path("text").asText(), numbers));
        }
        System.out.println("The console in Chromium showed " + shownInConsole.size() + " texts; at the end:\n" + consoleLanes);
        assertTrue(consoleLanes.contains("[CARD]"), "the watched call in the console shows [CARD]: " + consoleLanes);
        assertTrue(shownInConsole.size() > finals.size(), "partials, finals and translations were shown as they came");
        shownInConsole.forEach(text -> assertNoNumberIn("the console's watched call", text, numbers));
    }

    /**
     * The speaker's own OpenAI Realtime client (G.711 mu-law, as a phone line's), with server VAD and
     * with its own commit, gets no digit of either number in any delta or {@code completed}, while its
     * deltas stay live; each item's deltas joined are its {@code completed}, and the archive's and the
     * webhooks' final, redacted alike.
     */
    @Test
    void theSpeakersRealtimeClientGetsTheRedactedTextLiveAndTheSameAsTheArchive() throws Exception {
        byte[] call = speech.mulaw8k();
        List<JsonNode> toVad;
        List<JsonNode> toCommitter;
        try (RealtimeSpeaker vad = new RealtimeSpeaker(parley.ws("/v1/realtime?intent=transcription&meta.call_id=redact-vad"));
             RealtimeSpeaker manual = new RealtimeSpeaker(parley.ws("/v1/realtime?intent=transcription&meta.call_id=redact-manual"))) {
            vad.configure("");
            manual.configure(",\"turn_detection\":null");
            for (int off = 0; off < call.length; off += 1600) {
                byte[] chunk = java.util.Arrays.copyOfRange(call, off, Math.min(call.length, off + 1600));
                vad.append(chunk);
                manual.append(chunk);
            }
            manual.sendText("{\"type\":\"input_audio_buffer.commit\"}");
            toVad = vad.awaitEveryItemCompleted(Duration.ofSeconds(90));
            toCommitter = manual.awaitEveryItemCompleted(Duration.ofSeconds(90));
        }
        Map<String, String> byVad = assertRedactedAsArchived(toVad, "redact-vad");
        long deltas = toVad.stream().filter(e -> e.path("type").asText().endsWith(".delta")).count();
        // How many came while their item was still spoken is printed, not held: it depends on the machine's load.
        assertTrue(deltas > byVad.size(), "no more deltas than items (" + deltas + "): text came only whole");
        assertTrue(byVad.values().stream().anyMatch(t -> t.contains("[CARD]")), "no [CARD] in " + byVad);
        Map<String, String> byCommit = assertRedactedAsArchived(toCommitter, "redact-manual");
        assertEquals(1, byCommit.size(), "one commit, one item: " + byCommit);
        assertTrue(byCommit.values().iterator().next().contains("[CARD]"), "no [CARD] in " + byCommit);

        // The committed item is several of the recognizer's utterances: its audio is masked over the
        // item's span (no word times of one utterance stand for the item), the card's sentence with it.
        Path folder = Archives.await(parley.archive(), "call_id", "redact-manual", Duration.ofSeconds(30));
        byte[] wav = Files.readAllBytes(folder.resolve("audio.wav"));
        byte[] audio = java.util.Arrays.copyOfRange(wav, dataStart(wav), wav.length);
        SpokenNumbers.Span card = speech.sentences.get(1);
        int from = card.from() / 4;
        int to = Math.min(audio.length, card.to() / 4); // 16 kHz PCM16 bytes to 8 kHz mu-law bytes
        byte quiet = G711.encode((short) 0);
        long silent = java.util.stream.IntStream.range(from, to).filter(i -> audio[i] == quiet).count();
        System.out.printf("/v1/realtime committer's audio.wav: %d of %d bytes of the card's sentence silent%n", silent, to - from);
        assertEquals(to - from, silent, "the card's sentence is silent in the committer's audio.wav");
    }

    /**
     * No digits of either number in what a realtime client got; its deltas joined are its
     * {@code completed}, which are the archive's and the webhooks' finals. Returns the completed
     * transcripts by item.
     */
    private static Map<String, String> assertRedactedAsArchived(List<JsonNode> got, String callId) throws Exception {
        Map<String, StringBuilder> joined = new java.util.LinkedHashMap<>();
        Map<String, String> completed = new java.util.LinkedHashMap<>();
        java.util.Set<String> stopped = new java.util.HashSet<>();
        int deltas = 0;
        int whileSpoken = 0;
        for (JsonNode e : got) {
            String item = e.path("item_id").asText();
            switch (e.path("type").asText()) {
                case "input_audio_buffer.speech_stopped" -> stopped.add(item);
                case "conversation.item.input_audio_transcription.delta" -> {
                    joined.computeIfAbsent(item, i -> new StringBuilder()).append(e.path("delta").asText());
                    deltas++;
                    whileSpoken += stopped.contains(item) ? 0 : 1;
                }
                case "conversation.item.input_audio_transcription.completed" -> completed.put(item, e.path("transcript").asText());
                default -> { }
            }
        }
        completed.forEach((item, text) -> System.out.println(callId + " completed " + item + ": " + text));
        System.out.printf("/v1/realtime (%s) with redaction: %d deltas, %d of them before their item's speech_stopped, %d items%n",
                callId, deltas, whileSpoken, completed.size());
        List<String> numbers = List.of(SpokenNumbers.CARD, SpokenNumbers.PHONE);
        got.forEach(e -> assertNoNumberIn("the realtime client's " + e.path("type").asText(),
                e.path("delta").asText() + e.path("transcript").asText(), numbers));
        joined.forEach((item, text) -> assertNoNumberIn("the deltas of " + item + " joined", text.toString(), numbers));

        Path folder = Archives.await(parley.archive(), "call_id", callId, Duration.ofSeconds(10));
        List<JsonNode> archived = Archives.transcript(folder);
        assertNoNumberIn("transcript.jsonl", textsOf(archived), numbers);
        Map<String, String> archivedFinals = new java.util.LinkedHashMap<>();
        Archives.ofType(archived, "transcript.final").forEach(f -> archivedFinals.put(f.path("item_id").asText(), f.path("text").asText()));
        Map<String, String> joinedText = new java.util.LinkedHashMap<>();
        completed.forEach((item, text) -> joinedText.put(item, joined.getOrDefault(item, new StringBuilder()).toString()));
        assertEquals(completed, joinedText, "each item's deltas joined are its completed transcript");
        assertEquals(archivedFinals, completed, "the archive's finals are the client's completed transcripts");
        Map<String, String> hookedFinals = new java.util.LinkedHashMap<>();
        awaitWebhooks(archived.get(0).path("session_id").asText()).stream()
                .filter(e -> e.path("type").asText().equals("transcript.final"))
                .forEach(e -> hookedFinals.put(e.path("item_id").asText(), e.path("text").asText()));
        assertEquals(archivedFinals, hookedFinals, "the webhooks' finals are the archive's");
        return completed;
    }

    /** A speaker on {@code /v1/realtime}: every server event, as JSON. */
    private static final class RealtimeSpeaker extends dev.parley.testing.JsonSocket {
        RealtimeSpeaker(java.net.URI uri) throws Exception {
            open(uri, Map.of());
        }

        /** G.711 mu-law in English, and {@code more} of the session's audio input settings. */
        void configure(String more) throws Exception {
            sendText("{\"type\":\"session.update\",\"session\":{\"type\":\"transcription\",\"audio\":{\"input\":"
                    + "{\"format\":{\"type\":\"audio/pcmu\"},\"transcription\":{\"language\":\"en\"}" + more + "}}}}");
        }

        void append(byte[] audio) throws Exception {
            sendText("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + java.util.Base64.getEncoder().encodeToString(audio) + "\"}");
        }

        /** The events once an item is completed, every item committed is, and nothing more came for 3 s. */
        List<JsonNode> awaitEveryItemCompleted(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            int seen = -1;
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                List<JsonNode> now = received();
                java.util.Set<String> open = new java.util.HashSet<>();
                int completed = 0;
                for (JsonNode e : now) {
                    String type = e.path("type").asText();
                    if (type.equals("input_audio_buffer.committed")) {
                        open.add(e.path("item_id").asText());
                    } else if (type.equals("conversation.item.input_audio_transcription.completed")) {
                        open.remove(e.path("item_id").asText());
                        completed++;
                    }
                }
                if (now.size() != seen) {
                    seen = now.size();
                    quietSince = System.nanoTime();
                } else if (open.isEmpty() && completed > 0 && System.nanoTime() - quietSince > 3_000_000_000L) {
                    return now;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("items not completed: " + received());
        }
    }

    @Test
    void aCardAndAPhoneNumberSpokenOnASignedTwilioCallAreInNoFileNoWebhookAndNoTranslation() throws Exception {
        byte[] call = speech.mulaw8k();
        String url = "wss://127.0.0.1:" + parley.port() + "/twilio/media";
        TwilioStream stream;
        try (SocketClient ws = SocketClient.connect(parley.wsWithoutToken("/twilio/media"),
                Map.of("X-Twilio-Signature", TwilioSignature.sign(TWILIO_TOKEN, url)))) {
            stream = new TwilioStream(ws, "redact");
            stream.start(List.of("inbound"), Map.of("customer_language", "en", "customer_targets", "es"));
            stream.audio(Map.of("inbound", call), 3);
            stream.ws.send(Map.of("event", "dtmf", "sequenceNumber", Long.toString(++stream.seq), "streamSid", stream.streamSid,
                    "dtmf", Map.of("track", "inbound_track", "digit", "4")));
            stream.stop();
            assertEquals(1000, ws.awaitClose(Duration.ofSeconds(60)));
        }
        Path folder = Archives.await(parley.archive(), "call_sid", stream.callSid, Duration.ofSeconds(10));
        List<JsonNode> archived = Archives.transcript(folder);
        List<JsonNode> finals = Archives.ofType(archived, "transcript.final");
        finals.forEach(f -> System.out.println("twilio final: " + f.path("text").asText() + "  " + f.path("redactions")));
        String sessionId = archived.get(0).path("session_id").asText();
        assertTrue(finals.stream().anyMatch(f -> f.path("text").asText().contains("[CARD]")), "no [CARD] in " + finals);
        List<String> numbers = List.of(SpokenNumbers.CARD, SpokenNumbers.PHONE);
        assertNoNumberIn("transcript.jsonl", textsOf(archived), numbers);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path caption : files.filter(p -> p.getFileName().toString().startsWith("captions.")).toList()) {
                assertNoNumberIn(caption.getFileName().toString(), cueTextOf(caption), numbers);
            }
        }
        assertEquals("*", Archives.ofType(archived, "dtmf").get(0).path("digit").asText());
        assertFalse(Archives.ofType(archived, "translation.final").isEmpty(), "no translation");
        List<JsonNode> hooked = awaitWebhooks(sessionId);
        hooked.forEach(e -> assertNoNumberIn("webhook " + e.path("type").asText(), e.path("text").asText(), numbers));

        byte[] wav = Files.readAllBytes(folder.resolve("audio.wav"));
        byte[] archivedAudio = java.util.Arrays.copyOfRange(wav, dataStart(wav), wav.length);
        byte[] silence = {G711.encode((short) 0)};
        boolean[] masked = new boolean[archivedAudio.length];
        for (JsonNode f : finals) {
            for (JsonNode r : f.path("redactions")) {
                java.util.Arrays.fill(masked, (int) (r.path("audio_start_ms").asLong() * 8),
                        (int) Math.min(masked.length, r.path("audio_end_ms").asLong() * 8), true);
            }
        }
        int changed = 0;
        int loud = 0;
        int maskedCount = 0;
        for (int i = 0; i < archivedAudio.length; i++) {
            byte sent = i < call.length ? call[i] : silence[0];
            if (masked[i]) {
                maskedCount++;
                loud += archivedAudio[i] != silence[0] ? 1 : 0;
            } else {
                changed += archivedAudio[i] != sent ? 1 : 0;
            }
        }
        System.out.printf("Twilio audio.wav (8 kHz mu-law): %d ms masked, %d of them not silent; %d of %d other samples"
                + " differ from what was sent%n", maskedCount / 8, loud, changed, archivedAudio.length - maskedCount);
        assertTrue(maskedCount > 8 * 2000, "less than 2 s masked");
        assertEquals(0, loud);
        assertEquals(0, changed);
    }

    /** The texts of the archived events (the envelope's ids, times and hashes hold digits of their own). */
    private static String textsOf(List<JsonNode> archived) {
        return String.join("\n", archived.stream().map(e -> e.path("text").asText()).toList());
    }

    /** The cues' text of a caption file, without its numbers and times. */
    private static String cueTextOf(Path caption) throws Exception {
        return String.join("\n", Files.readAllLines(caption).stream()
                .filter(line -> !line.contains("-->") && !line.matches("\\d*") && !line.startsWith("WEBVTT")).toList());
    }

    /** Where the samples of a WAV file begin: after its {@code data} chunk's header. */
    private static int dataStart(byte[] wav) {
        for (int i = 12; i + 8 <= wav.length; ) {
            String id = new String(wav, i, 4, java.nio.charset.StandardCharsets.US_ASCII);
            int size = (wav[i + 4] & 0xff) | (wav[i + 5] & 0xff) << 8 | (wav[i + 6] & 0xff) << 16 | (wav[i + 7] & 0xff) << 24;
            if (id.equals("data")) {
                return i + 8;
            }
            i += 8 + size + (size & 1);
        }
        throw new AssertionError("no data chunk");
    }

    private static void assertNoNumberIn(String where, String text, List<String> numbers) {
        for (String number : numbers) {
            assertFalse(SpokenNumbers.leaks(text, number), "digits of " + number + " in " + where + ": " + text);
        }
    }

    private static List<JsonNode> awaitWebhooks(String sessionId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> mine = hooks.verified().stream().map(WebhookReceiver.Delivery::event)
                    .filter(e -> e.path("session_id").asText().equals(sessionId)).toList();
            if (mine.stream().anyMatch(e -> e.path("type").asText().equals("session.closed"))) {
                return mine;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no session.closed webhook for " + sessionId);
    }
}
