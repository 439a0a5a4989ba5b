package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.testing.LibriVox;
import dev.parley.testing.NodeClients;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Genesys AudioHook as a transcription connector: each final goes back over the call's own connection
 * as a transcript {@code event}, in the shape of the reference implementation's protocol types, on
 * AudioHook's timeline; {@code supportedLanguages} when the open asks; the open's edge cases.
 */
@Timeout(400)
class AudioHookTranscriptTest {

    private static final String KEY = "audiohook-transcripts-key";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How far an event's span may reach beyond the speech it transcribes. */
    private static final long MARGIN_MS = 300;
    private static ParleyServer parley;

    /**
     * The server messages of the transcription connector as TypeScript types, written from the
     * reference implementation's protocol definitions (message and transcript entity types); tsc
     * --strict checks the received messages against them, excess properties included.
     */
    private static final String PROTOCOL_TYPES = """
            type Uuid = string;
            type Duration = `PT${number}S`;
            type LanguageCode = string;
            type TranscriptToken = {
                type: 'word'; value: string; confidence: number; offset: Duration; duration: Duration; language?: LanguageCode;
            };
            type TranscriptInterpretation = { type: 'display'; transcript: string; tokens?: TranscriptToken[] };
            type TranscriptAlternative = { confidence: number; languages?: LanguageCode[]; interpretations: TranscriptInterpretation[] };
            type TranscriptData = {
                id: Uuid; channelId: 0 | 1; isFinal: boolean; offset?: Duration; duration?: Duration;
                alternatives: TranscriptAlternative[];
            };
            type TranscriptEntity = { type: 'transcript'; data: TranscriptData };
            // Server messages: version, id, type, seq, clientseq, parameters. Parley adds position (see README).
            type ServerMessage<T extends string, P> = {
                version: '2'; id: Uuid; type: T; seq: number; clientseq: number; position?: Duration; parameters: P;
            };
            type MediaParameter = { type: 'audio'; format: 'PCMU' | 'L16'; channels: ('external' | 'internal')[]; rate: 8000 };
            type OpenedMessage = ServerMessage<'opened', {
                media: MediaParameter[]; discardTo?: Duration; startPaused?: boolean; supportedLanguages?: LanguageCode[];
            }>;
            type EventMessage = ServerMessage<'event', { entities: TranscriptEntity[] }>;
            """;

    @BeforeAll
    static void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.audiohook.api-keys", KEY, "parley.translation.targets", "es",
                "parley.session.max-queued-audio-ms", "30000"));
    }

    @AfterAll
    static void stop() {
        if (parley != null) {
            parley.close();
        }
    }

    private static SocketClient connect() throws Exception {
        return SocketClient.connect(URI.create("ws://127.0.0.1:" + parley.port() + "/audiohook"), Map.of("X-API-KEY", KEY,
                "Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05"));
    }

    /** An open offering stereo PCMU (and its mono halves), with Parley's options in customConfig. */
    private static ObjectNode open(AudioHookClient c, String conversation, boolean supportedLanguages, Map<String, String> config) {
        ObjectNode open = c.message("open");
        ObjectNode p = (ObjectNode) open.get("parameters");
        p.put("organizationId", "d7934305-0972-4844-938e-9060eef73d05").put("conversationId", conversation)
                .put("language", "en-US").put("supportedLanguages", supportedLanguages);
        p.putObject("participant").put("id", UUID.randomUUID().toString()).put("ani", "+1-555-555-1234")
                .put("aniName", "John Doe").put("dnis", "+1-800-555-6789");
        ArrayNode media = p.putArray("media");
        media.addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("external").add("internal");
        media.addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("external");
        ObjectNode custom = p.putObject("customConfig");
        config.forEach(custom::put);
        return open;
    }

    private static final Map<String, String> TRANSCRIPTS = Map.of("transcripts", "true", "customer_targets", "es", "agent_targets", "es");

    private static double seconds(JsonNode duration) {
        String d = duration.asText();
        assertTrue(d.matches("PT\\d+(\\.\\d+)?S"), "an ISO 8601 duration in seconds: " + d);
        return Double.parseDouble(d.substring(2, d.length() - 1));
    }

    /**
     * 'closed', which follows the call's last final: generous, since the recognizer may be far behind a
     * call sent at three times real time on a loaded machine.
     */
    private static JsonNode closed(SocketClient ws) throws Exception {
        return ws.await(m -> m.path("type").asText().equals("closed"), Duration.ofSeconds(150));
    }

    private static List<JsonNode> transcriptEvents(SocketClient ws) {
        return ws.received().stream().filter(m -> m.path("type").asText().equals("event")).toList();
    }

    private static JsonNode data(JsonNode event) {
        return event.path("parameters").path("entities").get(0).path("data");
    }

    private static long offsetMs(JsonNode data) {
        return Math.round(seconds(data.path("offset")) * 1000);
    }

    private static long endMs(JsonNode data) {
        return Math.round((seconds(data.path("offset")) + seconds(data.path("duration"))) * 1000);
    }

    /** tsc --strict on the messages as values of the protocol's types: any shape the types do not allow fails. */
    private static void assertShapedAsTheProtocolSays(List<JsonNode> opened, List<JsonNode> events) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "audiohook-types"));
        Path file = dir.resolve("received-" + UUID.randomUUID() + ".ts");
        Files.writeString(file, PROTOCOL_TYPES + "\nexport const opened: OpenedMessage[] = " + JSON.writeValueAsString(opened)
                + ";\nexport const events: EventMessage[] = " + JSON.writeValueAsString(events) + ";\n");
        NodeClients.Run tsc = NodeClients.bin("tsc", List.of("--strict", "--noEmit", "--target", "es2020",
                file.toAbsolutePath().toString()), Duration.ofSeconds(90));
        assertEquals(0, tsc.exitCode(), "the messages are not of the protocol's types:\n" + tsc.output());
    }

    @Test
    void aStereoCallWithTranscriptionRequestedGetsOneTranscriptEventPerFinalPerChannelOnTheCallsTimeline() throws Exception {
        Telephone.Call call = Telephone.takingTurns("0870", "0920", "0890");
        String conversation = UUID.randomUUID().toString();
        JsonNode opened;
        List<JsonNode> events;
        try (SocketClient ws = connect()) {
            AudioHookClient c = new AudioHookClient(ws);
            ws.send(open(c, conversation, true, TRANSCRIPTS));
            opened = c.expect("opened");
            assertEquals("[\"en-US\"]", opened.path("parameters").path("supportedLanguages").toString(),
                    "what the embedded recognizer transcribes, as the protocol names languages");
            c.stream(call.audio().get("customer"), call.audio().get("agent"));
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            JsonNode closed = closed(ws);
            events = transcriptEvents(ws);
            assertTrue(events.stream().allMatch(e -> e.path("seq").asLong() < closed.path("seq").asLong()), "every transcript before 'closed'");
            assertEquals(Set.of("opened", "event", "closed"), new HashSet<>(ws.received().stream().map(m -> m.path("type").asText()).toList()),
                    "translations have no place in the protocol: they go to the archive and webhooks only");
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        List<JsonNode> archived = Archives.transcript(folder);
        List<JsonNode> finals = Archives.ofType(archived, "transcript.final");
        assertFalse(Archives.ofType(archived, "translation.final").isEmpty(), "the call was translated too");
        assertEquals(finals.size(), events.size(), "one transcript event per final: " + events + "\nfinals: " + finals);
        assertShapedAsTheProtocolSays(List.of(opened), events);

        Set<String> ids = new HashSet<>();
        Set<Double> confidences = new HashSet<>();
        for (JsonNode f : finals) {
            int channelId = f.path("channel").asText().equals("customer") ? 0 : 1;   // external, internal: the order of the selected media
            List<JsonNode> matching = events.stream().map(AudioHookTranscriptTest::data).filter(d -> d.path("channelId").asInt() == channelId
                    && d.path("alternatives").get(0).path("interpretations").get(0).path("transcript").asText().equals(f.path("text").asText())
                    && offsetMs(d) == f.path("start_ms").asLong()).toList();
            assertEquals(1, matching.size(), "one event for the final " + f + " among " + events);
            JsonNode d = matching.get(0);
            assertTrue(ids.add(UUID.fromString(d.path("id").asText()).toString()), "each utterance its own id: " + d);
            assertTrue(d.path("isFinal").asBoolean());
            assertEquals(f.path("end_ms").asLong(), endMs(d), 1, "no pause in this call: the archive's times are AudioHook's");
            long[] turn = call.turns().get(f.path("channel").asText()).stream()
                    .filter(t -> offsetMs(d) >= t[0] - MARGIN_MS && endMs(d) <= t[1] + MARGIN_MS).findFirst()
                    .orElseThrow(() -> new AssertionError("an event outside its party's speech " + call.turns().get(f.path("channel").asText())
                            .stream().map(Arrays::toString).toList() + ": " + d));
            JsonNode alternative = d.path("alternatives").get(0);
            double confidence = alternative.path("confidence").asDouble(-1);
            assertTrue(confidence > 0 && confidence <= 1, "PocketSphinx's own confidence: " + alternative);
            confidences.add(confidence);
            assertEquals("[\"en-US\"]", alternative.path("languages").toString());
            JsonNode tokens = alternative.path("interpretations").get(0).path("tokens");
            assertEquals(f.path("text").asText(), String.join(" ", tokens.findValuesAsText("value")), "a token per word of the final");
            for (JsonNode token : tokens) {
                double wordConfidence = token.path("confidence").asDouble(-1);
                assertTrue(wordConfidence >= 0 && wordConfidence <= 1, token.toString());
                long start = Math.round(seconds(token.path("offset")) * 1000);
                long end = start + Math.round(seconds(token.path("duration")) * 1000);
                assertTrue(start >= offsetMs(d) - 1 && end <= endMs(d) + 1 && end > start, "a word within its utterance: " + token);
            }
            assertTrue(turn[1] > turn[0]);
        }
        assertTrue(confidences.size() > 1, "the recognizer's confidence differs between utterances: " + confidences);
    }

    @Test
    void afterADiscardedGapAndAPauseTheTranscriptsKeepAudioHooksTimelineWhichLeavesPausedTimeOut() throws Exception {
        String[][] spoken = {{"0880", "0930"}, {"0930", "0880"}, {"0880", "0930"}};   // customer, agent
        long discarded = 16_000;   // 2 s the client discarded: its position counts them, as the archive does
        long pausedMs = 1500;      // the client's own pause: the archive counts it, AudioHook's position does not
        String conversation = UUID.randomUUID().toString();
        List<long[]> parts = new ArrayList<>();   // where each part lies in AudioHook's timeline, in samples
        List<JsonNode> events;
        try (SocketClient ws = connect()) {
            AudioHookClient c = new AudioHookClient(ws);
            ws.send(open(c, conversation, false, TRANSCRIPTS));
            assertTrue(c.expect("opened").path("parameters").path("supportedLanguages").isMissingNode(), "only when the open asks");
            for (int i = 0; i < spoken.length; i++) {
                if (i == 1) {
                    long start = c.samples;
                    c.samples += discarded;
                    ObjectNode d = c.message("discarded");
                    ((ObjectNode) d.get("parameters")).put("start", AudioHookClient.duration(start)).put("discarded", AudioHookClient.duration(discarded));
                    ws.send(d);
                } else if (i == 2) {
                    ws.send(c.message("paused"));
                    Thread.sleep(pausedMs);
                    ObjectNode resumed = c.message("resumed");
                    ((ObjectNode) resumed.get("parameters")).put("start", AudioHookClient.duration(c.samples))
                            .put("discarded", AudioHookClient.duration(pausedMs * 8));
                    ws.send(resumed);
                }
                int length = 4000 + 8000 + Math.max(Telephone.mulaw(LibriVox.get(spoken[i][0])).length,
                        Telephone.mulaw(LibriVox.get(spoken[i][1])).length);
                parts.add(new long[] {c.samples, c.samples + length});
                c.stream(AudioHookClient.part(spoken[i][0], length), AudioHookClient.part(spoken[i][1], length));
            }
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            closed(ws);
            events = transcriptEvents(ws);
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        List<JsonNode> finals = Archives.ofType(Archives.transcript(folder), "transcript.final");
        assertEquals(finals.size(), events.size(), "one transcript event per final: " + events + "\nfinals: " + finals);
        assertShapedAsTheProtocolSays(List.of(), events);
        long resumedAtMs = parts.get(2)[0] / 8;   // in AudioHook's timeline
        for (JsonNode f : finals) {
            int channelId = f.path("channel").asText().equals("customer") ? 0 : 1;
            JsonNode d = events.stream().map(AudioHookTranscriptTest::data).filter(x -> x.path("channelId").asInt() == channelId
                    && x.path("alternatives").get(0).path("interpretations").get(0).path("transcript").asText().equals(f.path("text").asText()))
                    .findFirst().orElseThrow(() -> new AssertionError("no event for " + f));
            // The archive (audio.wav) has the paused time; AudioHook's timeline does not.
            long paused = f.path("start_ms").asLong() >= resumedAtMs + pausedMs ? pausedMs : 0;
            assertEquals(f.path("start_ms").asLong() - paused, offsetMs(d), 1, "offset of " + f);
            assertEquals(f.path("end_ms").asLong() - paused, endMs(d), 1, "end of " + f);
            long[] part = parts.stream().filter(p -> offsetMs(d) >= p[0] / 8 + 500 - MARGIN_MS && endMs(d) <= p[1] / 8 + MARGIN_MS)
                    .findFirst().orElseThrow(() -> new AssertionError("an event outside the speech sent " + parts.stream()
                            .map(p -> p[0] / 8 + "-" + p[1] / 8).toList() + " (AudioHook ms): " + d));
            assertTrue(part[1] > part[0]);
        }
        for (long[] part : parts) {
            assertTrue(events.stream().map(AudioHookTranscriptTest::data).anyMatch(d -> offsetMs(d) >= part[0] / 8 && endMs(d) <= part[1] / 8 + MARGIN_MS),
                    "each part transcribed where it was sent, the discarded and paused time accounted for: " + part[0] / 8 + " ms");
        }
    }

    @Test
    void anOpenOfferingOnlyMediaParleyCannotTakeIsDisconnectedAsTheReferenceServerDoes() throws Exception {
        for (List<Object[]> offers : List.of(List.<Object[]>of(new Object[] {"PCMU", 16000}, new Object[] {"L16", 8000}), List.<Object[]>of())) {
            try (SocketClient ws = connect()) {
                AudioHookClient c = new AudioHookClient(ws);
                ObjectNode open = open(c, UUID.randomUUID().toString(), true, Map.of());
                ArrayNode media = ((ObjectNode) open.get("parameters")).putArray("media");
                for (Object[] offer : offers) {
                    media.addObject().put("type", "audio").put("format", (String) offer[0]).put("rate", (Integer) offer[1])
                            .putArray("channels").add("external").add("internal");
                }
                ws.send(open);
                JsonNode disconnect = c.expect("disconnect");
                assertEquals("error", disconnect.path("parameters").path("reason").asText(), disconnect.toString());
                assertTrue(disconnect.path("parameters").path("info").asText().startsWith("No matching media format offered"), disconnect.toString());
                ws.sendBinary(new byte[320]);   // audio regardless: the session was never opened, and was said so
                Thread.sleep(300);
                assertTrue(ws.received().stream().noneMatch(m -> m.path("type").asText().equals("opened")), ws.received().toString());
                assertEquals(1, ws.received().stream().filter(m -> m.path("type").asText().equals("disconnect")).count(), ws.received().toString());
            }
        }
    }

    @Test
    void withoutTranscriptionAskedForTheCallSendsNoTranscriptEvents() throws Exception {
        String conversation = UUID.randomUUID().toString();
        try (SocketClient ws = connect()) {
            AudioHookClient c = new AudioHookClient(ws);
            ws.send(open(c, conversation, false, Map.of()));
            c.expect("opened");
            int length = 4000 + 8000 + Telephone.mulaw(LibriVox.get("0880")).length;
            c.stream(AudioHookClient.part("0880", length), AudioHookClient.part("0930", length));
            ObjectNode close = c.message("close");
            ((ObjectNode) close.get("parameters")).put("reason", "end");
            ws.send(close);
            closed(ws);
            assertTrue(transcriptEvents(ws).isEmpty(), ws.received().toString());
        }
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        assertFalse(Archives.ofType(Archives.transcript(folder), "transcript.final").isEmpty(), "the call is transcribed all the same");
    }
}
