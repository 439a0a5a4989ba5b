package dev.parley.session;

import dev.parley.privacy.Entity;
import dev.parley.privacy.RedactionSettings;
import dev.parley.realtime.WordTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session's text on its way out: a final ending in digits waits for the channel's next final (or the
 * hold time) so a card number said across two utterances is judged whole; partials said meanwhile are
 * judged with it; other channels are not held up.
 */
class RedactedTranscriptsTest {

    private final List<SessionEvent> out = new CopyOnWriteArrayList<>();

    private RedactedTranscripts redaction(long holdMs) {
        RedactionSettings settings = new RedactionSettings(EnumSet.allOf(Entity.class), holdMs, false,
                RedactionSettings.AudioMode.SILENCE, 120_000);
        return new RedactedTranscripts(settings, draft -> out.add(new SessionEvent(draft, "evt_" + out.size(), "ses_t",
                out.size() + 1, Instant.now())));
    }

    private static SessionEvent.Draft fin(String item, String channel, long start, long end) {
        return SessionEvent.of("transcript.final").itemId(item).channel(channel).language("en").span(start, end);
    }

    private List<String> texts() {
        return out.stream().map(SessionEvent::text).toList();
    }

    @Test
    void aCardNumberSplitAcrossTwoFinalsIsRedactedInBoth() {
        RedactedTranscripts r = redaction(60_000);
        r.complete("customer", fin("item_1", "customer", 0, 3000), "my card number is four five five six seven three seven five", null);
        assertEquals(List.of(), out, "a final ending in digits is held");
        r.complete("agent", fin("item_2", "agent", 500, 1500), "go ahead", null);
        assertEquals(List.of("go ahead"), texts(), "another channel is not held up");
        r.partial("customer", SessionEvent.of("transcript.partial").itemId("item_3").channel("customer"), "eight six");
        assertEquals("[CARD]", out.get(1).text(), "a partial is judged with the final held");
        r.complete("customer", fin("item_3", "customer", 3500, 6000), "eight six one four nine nine six three thanks", null);
        assertEquals(List.of("go ahead", "[CARD]", "my card number is [CARD]", "[CARD] thanks"), texts());
        assertEquals(List.of(Map.of("type", "CARD", "start", 18, "end", 24, "audio_start_ms", 0L, "audio_end_ms", 3000L)),
                out.get(2).field("redactions"), "no word times: the utterance's span");
    }

    @Test
    void aHeldFinalGoesOutAloneAfterTheHoldTime() throws Exception {
        RedactedTranscripts r = redaction(200);
        r.complete("speaker", fin("item_1", "speaker", 0, 2000), "i want two", null);
        assertEquals(List.of(), out);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (out.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of("i want two"), texts());
    }

    @Test
    void theChannelsEndReleasesItsHeldFinal() {
        RedactedTranscripts r = redaction(60_000);
        r.complete("speaker", fin("item_1", "speaker", 0, 2000), "call me at five five five one two three four five six seven", null);
        r.release("speaker");
        assertEquals(List.of("call me at [PHONE]"), texts());
    }

    @Test
    void wordTimesSayWhereTheRedactedWordsWereSpoken() {
        RedactedTranscripts r = redaction(0);
        List<WordTime> times = List.of(new WordTime("cvv", 1000, 1400), new WordTime("one", 1400, 1700),
                new WordTime("two", 1700, 2000), new WordTime("three", 2000, 2350), new WordTime("please", 2350, 2800));
        r.complete("speaker", fin("item_1", "speaker", 1000, 2800), "cvv one two three please", times);
        assertEquals("cvv [CARD] please", out.get(0).text());
        assertEquals(List.of(Map.of("type", "CARD", "start", 4, "end", 10, "audio_start_ms", 1400L, "audio_end_ms", 2350L)),
                out.get(0).field("redactions"));
    }

    @Test
    void keysPressedAreHiddenAndTranslationsKeepTheirPlaceholders() {
        RedactedTranscripts r = redaction(0);
        r.complete("customer", fin("item_1", "customer", 0, 2000), "my card number is 4556 7375 8614 9963", null);
        SessionEvent.Draft translated = r.outgoing(SessionEvent.of("translation.final").itemId("item_1")
                .text("Mi número de carta es [CARTA]"));
        assertEquals("Mi número de carta es [CARD]", translated.text());
        SessionEvent.Draft key = r.outgoing(SessionEvent.of("dtmf").channel("customer").field("digit", "4"));
        SessionEvent event = new SessionEvent(key, "evt_k", "ses_t", 9, Instant.now());
        assertEquals("*", event.field("digit"));
        assertTrue(event.toString().contains("\"type\":\"CARD\""));
    }
}
