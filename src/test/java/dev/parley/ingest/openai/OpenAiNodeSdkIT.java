package dev.parley.ingest.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.telephony.Archives;
import dev.parley.testing.LibriVox;
import dev.parley.testing.NodeClients;
import dev.parley.testing.PackagedParley;
import dev.parley.testing.TestCertificates;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's official Node SDK ({@code openai} 6.49.0, {@code OpenAIRealtimeWS}, pinned in src/test/node)
 * as an app written for OpenAI's Realtime transcription runs it, changed only in its base URL and key,
 * against Parley as users run it (the packaged jar, settings from the environment): over {@code wss://}
 * (Parley serving TLS with a test CA, which node trusts through {@code NODE_EXTRA_CA_CERTS}) to
 * {@code /v1/realtime?model=...}. LibriVox speech at the pace of speech,
 * with server VAD and with manual commits. Every item's deltas join to its {@code completed}
 * transcript, which is the final the archive and the webhooks hold under the same item id; audio the
 * client cleared is silence in {@code audio.wav}; and every server event Parley sent type-checks as
 * the SDK's own {@code RealtimeServerEvent} under {@code tsc --strict}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenAiNodeSdkIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_KEY = "parley-node-sdk-key-0123456789";
    private static final Duration RUN = Duration.ofSeconds(150);
    private static final Path SCRIPT = NodeClients.FOLDER.resolve("openai-realtime-transcribe.mjs");
    private static final byte[] PAUSE = new byte[48000 * 3 / 2]; // 1.5 s of silence at 24 kHz PCM16

    private static TestCertificates ca;
    private static WebhookReceiver hooks;
    private static PackagedParley parley;
    /** Every server event the sessions above got, checked against the SDK's types in one compilation. */
    private static final List<JsonNode> SENT_BY_PARLEY = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The client secrets Parley minted for them, checked as the SDK's response type. */
    private static final List<JsonNode> SECRETS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        ca = TestCertificates.create();
        TestCertificates.Pair served = ca.server("parley", 30);
        hooks = new WebhookReceiver();
        parley = PackagedParley.start(PackagedParley.folder("node-sdk"), Map.of("PARLEY_AUTH_REQUIRED", "true",
                "PARLEY_AUTH_API_KEYS", API_KEY, "PARLEY_TLS_CERT", served.cert().toAbsolutePath().toString(),
                "PARLEY_TLS_KEY", served.key().toAbsolutePath().toString(), "PARLEY_TRANSLATION_ENABLED", "false",
                "PARLEY_WEBHOOKS_URLS", hooks.url(), "PARLEY_WEBHOOKS_SECRET", WebhookReceiver.SECRET,
                // a loaded test machine may fall seconds behind speech: that is not what this test is about
                "PARLEY_SESSION_MAX_QUEUED_AUDIO_MS", "30000"), ca.clientContext());
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

    /** What the app recorded: every server event with its arrival (ms), and what it sent when. */
    private record Recorded(String url, JsonNode secret, List<JsonNode> events, List<Long> arrivals, List<JsonNode> sent,
                            String session) {
        List<JsonNode> ofType(String type) {
            return events.stream().filter(e -> e.path("type").asText().equals(type)).toList();
        }

        long arrival(JsonNode event) {
            return arrivals.get(events.indexOf(event));
        }

        /** Per item, its transcript and the joined deltas, in the order completed. */
        Map<String, String[]> transcripts() {
            Map<String, String[]> out = new LinkedHashMap<>();
            for (JsonNode done : ofType("conversation.item.input_audio_transcription.completed")) {
                String item = done.path("item_id").asText();
                StringBuilder deltas = new StringBuilder();
                ofType("conversation.item.input_audio_transcription.delta").stream()
                        .filter(d -> d.path("item_id").asText().equals(item)).forEach(d -> deltas.append(d.path("delta").asText()));
                out.put(item, new String[] {done.path("transcript").asText(), deltas.toString()});
            }
            return out;
        }
    }

    private static Recorded run(String mode, boolean ephemeral, byte[] speech, byte[] cleared) throws Exception {
        Set<Path> before = sessionFolders();
        Path dir = Files.createTempDirectory(Path.of("target"), "node-sdk").toAbsolutePath(); // node runs in src/test/node
        Path speechFile = Files.write(dir.resolve("speech.pcm"), speech);
        Path clearedFile = Files.write(dir.resolve("cleared.pcm"), cleared);
        Path out = dir.resolve("events.json");
        NodeClients.Run run = NodeClients.node(SCRIPT, List.of(), Map.of("BASE_URL", "https://127.0.0.1:" + parley.port() + "/v1",
                "API_KEY", API_KEY, "MODE", mode, "SPEECH", speechFile.toString(), "CLEARED", clearedFile.toString(),
                "OUT", out.toString(), "EPHEMERAL", Boolean.toString(ephemeral), "NODE_EXTRA_CA_CERTS", ca.root().toAbsolutePath().toString()), RUN);
        assertEquals(0, run.exitCode(), run.output());
        JsonNode record = JSON.readTree(out.toFile());
        List<JsonNode> events = new ArrayList<>();
        List<Long> arrivals = new ArrayList<>();
        record.path("events").forEach(e -> {
            events.add(e.path("event"));
            arrivals.add(e.path("at").asLong());
        });
        List<JsonNode> sent = new ArrayList<>();
        record.path("sent").forEach(sent::add);
        SENT_BY_PARLEY.addAll(events);
        Path session = awaitNewSession(before);
        if (record.path("secret").isObject()) {
            SECRETS.add(record.path("secret"));
        }
        return new Recorded(record.path("url").asText(), record.path("secret"), events, arrivals, sent,
                session.getFileName().toString());
    }

    private static Set<Path> sessionFolders() throws Exception {
        if (!Files.isDirectory(parley.archive())) {
            return Set.of(); // made with the first session
        }
        try (Stream<Path> files = Files.walk(parley.archive())) {
            // Folders only: archive/.open holds a marker file named after each open session.
            return new HashSet<>(files.filter(f -> f.getFileName().toString().startsWith("ses_") && Files.isDirectory(f)).toList());
        }
    }

    /** The archive folder of the session just run, once its session.closed is archived. */
    private static Path awaitNewSession(Set<Path> before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (Path folder : sessionFolders()) {
                Path transcript = folder.resolve("transcript.jsonl");
                if (!before.contains(folder) && Files.exists(transcript) && Files.readString(transcript).contains("\"session.closed\"")) {
                    return folder;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no new session was archived");
    }

    private static Path folder(String session) throws Exception {
        return sessionFolders().stream().filter(f -> f.getFileName().toString().equals(session)).findFirst().orElseThrow();
    }

    /** The finals of a session as (item id, text), from lines of events: the archive's or the webhooks'. */
    private static Map<String, String> finals(Stream<JsonNode> events, String session) {
        Map<String, String> out = new LinkedHashMap<>();
        events.filter(e -> e.path("type").asText().equals("transcript.final") && e.path("session_id").asText().equals(session))
                .forEach(e -> out.put(e.path("item_id").asText(), e.path("text").asText()));
        return out;
    }

    private static Map<String, String> archived(String session) throws Exception {
        return finals(Archives.transcript(folder(session)).stream(), session);
    }

    private static Map<String, String> delivered(String session, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Map<String, String> got = Map.of();
        while (System.nanoTime() < deadline) {
            got = finals(hooks.verified().stream().map(WebhookReceiver.Delivery::event), session);
            if (got.size() >= expected) {
                return got;
            }
            Thread.sleep(50);
        }
        return got;
    }

    /** The client's completed transcripts that have text, as (item id, transcript). */
    private static Map<String, String> heard(Recorded r) {
        Map<String, String> out = new LinkedHashMap<>();
        r.transcripts().forEach((item, texts) -> {
            if (!texts[0].isEmpty()) {
                out.put(item, texts[0]);
            }
        });
        return out;
    }

    private static byte[] join(byte[]... parts) {
        java.nio.ByteBuffer joined = java.nio.ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        java.util.Arrays.stream(parts).forEach(joined::put);
        return joined.array();
    }

    private static byte[] speech(String id) throws Exception {
        return LibriVox.get(id).at(24000).pcm();
    }

    /** Compiles the recorded events as the SDK's server event type, strictly; returns tsc's complaints. */
    private static String typeCheck(List<JsonNode> events, List<JsonNode> secrets) throws Exception {
        Path file = NodeClients.FOLDER.resolve("target-recorded-events.ts");
        List<JsonNode> minted = new ArrayList<>();
        secrets.forEach(s -> minted.add(((com.fasterxml.jackson.databind.node.ObjectNode) s.deepCopy()).without("received_at")));
        try {
            Files.writeString(file, "import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';\n"
                    + "import type { ClientSecretCreateResponse } from 'openai/resources/realtime/client-secrets';\n"
                    + "export const events: RealtimeServerEvent[] = " + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(events)
                    + ";\nexport const secrets: ClientSecretCreateResponse[] = "
                    + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(minted) + ";\n");
            NodeClients.Run tsc = NodeClients.bin("tsc", List.of("--strict", "--noEmit", "--target", "es2022",
                    "--module", "nodenext", "--moduleResolution", "nodenext", file.getFileName().toString()), Duration.ofSeconds(120));
            return tsc.exitCode() == 0 ? "" : tsc.output();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    @Order(1)
    void withServerVadTheDeltasAreLiveIncrementsOfTheArchivedFinals() throws Exception {
        byte[] first = speech("0880");
        byte[] second = speech("0920");
        Recorded r = run("vad", true, join(first, PAUSE, second, PAUSE), new byte[0]);

        // A browser app's way in: its backend minted an ephemeral key with the SDK, the app connected with it.
        long left = r.secret().path("expires_at").asLong() - r.secret().path("received_at").asLong();
        assertTrue(left > 0 && left <= 60, "the key expires within 60 s: " + left);
        assertTrue(r.secret().path("value").asText().startsWith("v1."), "a Parley token");
        assertEquals("pocketsphinx", r.secret().path("session").path("audio").path("input").path("transcription")
                .path("model").asText(), r.secret().toString());
        assertEquals(401, mint("Bearer " + r.secret().path("value").asText()), "an ephemeral key cannot mint another");
        assertEquals(401, mint(null), "nor can anyone without an API key");

        assertTrue(r.url().startsWith("wss://127.0.0.1:") && r.url().contains("/v1/realtime?model="), r.url());
        assertTrue(r.ofType("error").isEmpty(), "errors: " + r.ofType("error"));
        Map<String, String[]> transcripts = r.transcripts();
        long matching = transcripts.values().stream().filter(t -> t[0].equals(t[1])).count();
        transcripts.forEach((item, t) -> assertEquals(t[0], t[1], "the deltas of " + item + " join to its transcript"));

        // Live: text of an item arrives while it is still being spoken, before it is committed.
        int live = 0;
        int deltas = r.ofType("conversation.item.input_audio_transcription.delta").size();
        for (JsonNode committed : r.ofType("input_audio_buffer.committed")) {
            String item = committed.path("item_id").asText();
            long at = r.arrival(committed);
            live += (int) r.ofType("conversation.item.input_audio_transcription.delta").stream()
                    .filter(d -> d.path("item_id").asText().equals(item) && r.arrival(d) < at).count();
        }
        assertTrue(live > 0, "some deltas come before their item is committed: " + r.events());

        Map<String, String> heard = heard(r);
        assertFalse(heard.isEmpty());
        assertEquals(heard, archived(r.session()), "the archive holds the client's items, ids and text");
        assertEquals(heard, delivered(r.session(), heard.size()), "the webhooks carry the client's items, ids and text");

        double speechSeconds = (first.length + second.length) / 48000.0;
        System.out.printf("Node SDK, server VAD, 2 LibriVox sentences (%.1f s of speech) at real-time pace: %d items, "
                        + "%d deltas (%.2f a second of speech, %d before their item's commit), deltas = completed in %d of %d items%n",
                speechSeconds, transcripts.size(), deltas, deltas / speechSeconds, live, matching, transcripts.size());
    }

    @Test
    @Order(2)
    void withManualCommitsWhatWasCommittedIsOneItemAndClearedAudioIsNotArchived() throws Exception {
        byte[] cleared = speech("0870");
        byte[] first = speech("0890");
        byte[] second = speech("0930");
        byte[] spoken = join(first, PAUSE, second);
        Recorded r = run("manual", false, spoken, cleared);

        assertTrue(r.ofType("error").isEmpty(), "errors: " + r.ofType("error"));
        List<JsonNode> committed = r.ofType("input_audio_buffer.committed");
        assertEquals(1, committed.size(), "one commit, one item: " + r.events());
        String item = committed.get(0).path("item_id").asText();
        Map<String, String[]> transcripts = r.transcripts();
        assertEquals(Set.of(item), transcripts.keySet());
        assertEquals(transcripts.get(item)[0], transcripts.get(item)[1], "the deltas join to the transcript");
        assertTrue(transcripts.get(item)[0].split(" ").length >= 10, "both sentences: " + transcripts.get(item)[0]);

        Map<String, String> heard = Map.of(item, transcripts.get(item)[0]);
        assertEquals(heard, archived(r.session()), "one final in the archive, under the client's item id");
        assertEquals(heard, delivered(r.session(), 1), "one final in the webhooks, under the client's item id");

        // Acknowledged at once, as the service does, however long the recognizer takes.
        long commitSent = r.sent().stream().filter(s -> s.path("type").asText().equals("input_audio_buffer.commit"))
                .findFirst().orElseThrow().path("at").asLong();
        long ack = r.arrival(committed.get(0)) - commitSent;
        long done = r.arrival(r.ofType("conversation.item.input_audio_transcription.completed").get(0)) - commitSent;
        assertTrue(ack < 2000, "committed " + ack + " ms after the commit");

        // The cleared audio is silence in audio.wav; what followed is there byte for byte.
        byte[] wav = WavFile.read(folder(r.session()).resolve("audio.wav")).pcm();
        for (int i = 0; i < cleared.length; i++) {
            if (wav[i] != 0) {
                throw new AssertionError("cleared audio archived at byte " + i);
            }
        }
        assertEquals(cleared.length + spoken.length, wav.length);
        for (int i = 0; i < spoken.length; i++) {
            if (wav[cleared.length + i] != spoken[i]) {
                throw new AssertionError("the committed audio differs in audio.wav at byte " + i);
            }
        }
        System.out.printf("Node SDK, manual commit of 2 LibriVox sentences after a cleared one: committed %d ms after the "
                + "commit, completed %d ms after it%n", ack, done);
    }

    @Test
    @Order(3)
    void everyServerEventOfThoseSessionsIsTheSdksOwnServerEventType() throws Exception {
        assertTrue(SENT_BY_PARLEY.size() > 20, "the sessions above ran: " + SENT_BY_PARLEY.size() + " events");
        Set<String> types = new java.util.TreeSet<>();
        SENT_BY_PARLEY.forEach(e -> types.add(e.path("type").asText()));
        assertFalse(SECRETS.isEmpty(), "a client secret was minted");
        assertEquals("", typeCheck(SENT_BY_PARLEY, SECRETS), "tsc --strict on the recorded events and client secrets");
        System.out.printf("%d server events of %d types type-check as RealtimeServerEvent: %s%n", SENT_BY_PARLEY.size(),
                types.size(), types);
    }

    /** The status of a POST to client_secrets with this Authorization header. */
    private static int mint(String authorization) throws Exception {
        java.net.http.HttpRequest.Builder post = java.net.http.HttpRequest.newBuilder(parley.http(ClientSecretsEndpoint.PATH))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"session\":{\"type\":\"transcription\"}}"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            post.header("Authorization", authorization);
        }
        return parley.client().send(post.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
