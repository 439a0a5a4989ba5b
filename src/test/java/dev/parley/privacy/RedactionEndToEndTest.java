package dev.parley.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.telephony.Archives;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
 * or any translation, and events say what was redacted and where.
 */
class RedactionEndToEndTest {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static ParleyServer parley;
    private static WebhookReceiver hooks;
    private static SpokenNumbers speech;

    @BeforeAll
    static void start() throws Exception {
        speech = SpokenNumbers.render();
        hooks = new WebhookReceiver();
        Path model = Path.of(RedactionEndToEndTest.class.getResource("/privacy/payments.arpa").toURI());
        parley = ParleyServer.start(Map.of("parley.redaction.enabled", "true", "parley.translation.targets", "es",
                // The speaker's own client sees what the recognizer heard: the numbers the files must not hold.
                "parley.redaction.speaker-sees-original", "true",
                "parley.recognizer.pocketsphinx.lm", model.toString(), "parley.recognizer.pocketsphinx.warm-decoders", "1",
                "parley.webhooks.urls", hooks.url(), "parley.webhooks.secret", WebhookReceiver.SECRET,
                "parley.webhooks.events", "transcript.partial,transcript.final,translation.final,session.closed",
                "parley.session.max-queued-audio-ms", "30000"));
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
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&rate=16000&meta.call_id=redact-listen"))) {
            client.stream(speech.pcm, SpokenNumbers.RATE * 2 / 25, SpokenNumbers.RATE * 2, false);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(90));
            live = client.events();
            sessionId = live.get(0).json().path("session_id").asText();
        }
        Path folder = Archives.await(parley.archive(), "call_id", "redact-listen", Duration.ofSeconds(10));
        List<JsonNode> archived = Archives.transcript(folder);
        List<JsonNode> finals = Archives.ofType(archived, "transcript.final");
        finals.forEach(f -> System.out.println("final: " + f.path("text").asText() + "  " + f.path("redactions")));
        Archives.ofType(archived, "translation.final").forEach(f -> System.out.println("translation: " + f.path("text").asText()));

        List<String> heard = live.stream().filter(e -> e.type().equals("transcript.final"))
                .map(e -> e.json().path("text").asText()).toList();
        heard.forEach(h -> System.out.println("heard: " + h));
        String heardCard = numberAfter(heard, "card");
        String heardPhone = numberAfter(heard, "phone");
        System.out.printf("PocketSphinx heard the card %s as %s, the phone %s as %s%n", SpokenNumbers.CARD, heardCard,
                SpokenNumbers.PHONE, heardPhone);
        assertTrue(heardCard.length() >= 12, "the recognizer heard no card number: " + heard);
        assertTrue(finals.stream().anyMatch(f -> f.path("text").asText().contains("[CARD]")), "no [CARD] in " + finals);
        for (JsonNode f : finals) {
            for (JsonNode r : f.path("redactions")) {
                String text = f.path("text").asText();
                assertEquals("[" + r.path("type").asText() + "]", text.substring(r.path("start").asInt(), r.path("end").asInt()));
            }
        }
        List<String> numbers = Stream.of(SpokenNumbers.CARD, SpokenNumbers.PHONE, heardCard, heardPhone)
                .filter(n -> n.length() >= 4).toList();
        assertNoNumberIn("transcript.jsonl", Files.readString(folder.resolve("transcript.jsonl")), numbers);
        try (Stream<Path> files = Files.list(folder)) {
            for (Path caption : files.filter(p -> p.getFileName().toString().startsWith("captions.")).toList()) {
                assertNoNumberIn(caption.getFileName().toString(), Files.readString(caption), numbers);
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

        assertAudioMaskedOnlyWhereRedacted(WavFile.read(folder.resolve("audio.wav")).pcm(), finals);
    }

    /**
     * {@code audio.wav} is what was sent but for the redacted words' spans, which are silent (0); and
     * those spans cover most of the card's sentence (its digits are most of it).
     */
    private static void assertAudioMaskedOnlyWhereRedacted(byte[] archived, List<JsonNode> finals) {
        assertEquals(speech.pcm.length, archived.length, "audio.wav holds all the audio sent");
        boolean[] masked = new boolean[archived.length / 2];
        long maskedMs = 0;
        for (JsonNode f : finals) {
            for (JsonNode r : f.path("redactions")) {
                int from = (int) (r.path("audio_start_ms").asLong() * SpokenNumbers.RATE / 1000);
                int to = (int) Math.min(masked.length, r.path("audio_end_ms").asLong() * SpokenNumbers.RATE / 1000);
                assertTrue(to > from, "no audio span in " + r);
                java.util.Arrays.fill(masked, from, to, true);
                maskedMs += r.path("audio_end_ms").asLong() - r.path("audio_start_ms").asLong();
            }
        }
        int identical = 0;
        int silent = 0;
        int maskedSamples = 0;
        for (int i = 0; i < masked.length; i++) {
            short sent = (short) ((speech.pcm[2 * i] & 0xff) | speech.pcm[2 * i + 1] << 8);
            short kept = (short) ((archived[2 * i] & 0xff) | archived[2 * i + 1] << 8);
            if (masked[i]) {
                maskedSamples++;
                silent += kept == 0 ? 1 : 0;
            } else {
                identical += kept == sent ? 1 : 0;
            }
        }
        SpokenNumbers.Span card = speech.sentences.get(1);
        long cardMs = (card.to() - card.from()) / 2 * 1000L / SpokenNumbers.RATE;
        System.out.printf("audio.wav: %d ms masked (the card's sentence is %d ms); %d of %d masked samples at 0,"
                + " %d of %d other samples identical to what was sent%n", maskedMs, cardMs, silent, maskedSamples,
                identical, masked.length - maskedSamples);
        assertEquals(maskedSamples, silent, "masked samples that are not silent");
        assertEquals(masked.length - maskedSamples, identical, "samples changed outside the redacted spans");
        assertTrue(maskedMs >= cardMs / 2, maskedMs + " ms masked of a " + cardMs + " ms sentence of digits");
    }

    private static void assertNoNumberIn(String where, String text, List<String> numbers) {
        for (String number : numbers) {
            assertFalse(SpokenNumbers.leaks(text, number), "digits of " + number + " in " + where + ": " + text);
        }
    }

    /** The digits the recognizer heard after {@code lead}, and at the start of the next final (a number split in two). */
    private static String numberAfter(List<String> finals, String lead) {
        for (int i = 0; i < finals.size(); i++) {
            int at = finals.get(i).indexOf(lead);
            if (at >= 0) {
                StringBuilder digits = new StringBuilder(SpokenNumbers.digitsIn(finals.get(i).substring(at + lead.length())));
                for (String word : (i + 1 < finals.size() ? finals.get(i + 1) : "").split(" ")) {
                    String d = SpokenNumbers.digitsIn(word);
                    if (d.isEmpty()) {
                        break;
                    }
                    digits.append(d);
                }
                return digits.toString();
            }
        }
        return "";
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
