package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.KafkaBroker;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka as a sink, against a real Apache Kafka broker (KRaft, the release camel-kafka is built
 * against) on loopback: Parley's built-in sink set with parley.kafka.* only, a route of one's own
 * (examples/routes/finals-to-kafka.camel.yaml), and a broker that is down, even at start-up.
 */
@Timeout(300)
class KafkaSinkIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PUBLISHED = Set.of("session.created", "session.joined", "transcript.final",
            "translation.final", "warning", "error", "session.closed");
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void theBuiltInSinkPublishesEveryEventOfEachSessionOnceKeyedBySessionInSeqOrder() throws Exception {
        broker.createTopic("parley-events", 3);
        Path dir = PackagedParley.folder("kafka-builtin");
        try (PackagedParley parley = PackagedParley.start(dir, Map.of(
                "PARLEY_KAFKA_ENABLED", "true", "PARLEY_KAFKA_BROKERS", broker.bootstrap()))) {
            CompletableFuture<ListenClient> first = CompletableFuture.supplyAsync(() -> say(parley, "0880"));
            CompletableFuture<ListenClient> second = CompletableFuture.supplyAsync(() -> say(parley, "0920"));
            List<ListenClient> clients = List.of(first.join(), second.join());

            Map<String, List<ConsumerRecord<String, String>>> bySession = consume("parley-events", clients.size());
            for (ListenClient client : clients) {
                String session = Recipes.sessionId(client);
                List<JsonNode> expected = client.events().stream().map(ListenClient.Received::json)
                        .filter(e -> PUBLISHED.contains(e.path("type").asText())).toList();
                List<JsonNode> published = new ArrayList<>();
                for (ConsumerRecord<String, String> record : bySession.get(session)) {
                    assertEquals(session, record.key(), "each record is keyed by its session");
                    published.add(JSON.readTree(record.value()));
                }
                assertEquals(expected, published, "the topic holds the session's events, once each, in seq order, "
                        + "exactly as its client received them");
                assertTrue(published.stream().anyMatch(e -> e.path("type").asText().equals("translation.final")));
            }
        }
    }

    @Test
    void aRouteOfOnesOwnSendsTheFinalsToItsOwnTopic() throws Exception {
        Path dir = PackagedParley.folder("kafka-recipe");
        Files.copy(Path.of("examples", "routes", "finals-to-kafka.camel.yaml"), dir.resolve("routes/finals-to-kafka.camel.yaml"));
        try (PackagedParley parley = PackagedParley.start(dir, Map.of(
                "TRANSCRIPTS_KAFKA_BROKERS", broker.bootstrap(), "TRANSCRIPTS_KAFKA_TOPIC", "call-transcripts"))) {
            ListenClient client = say(parley, "0920");
            String session = Recipes.sessionId(client);
            List<JsonNode> finals = client.events().stream().map(ListenClient.Received::json)
                    .filter(e -> e.path("type").asText().endsWith(".final")).toList();
            List<JsonNode> published = new ArrayList<>();
            for (ConsumerRecord<String, String> record : consumeAtLeast("call-transcripts", finals.size())) {
                assertEquals(session, record.key());
                published.add(JSON.readTree(record.value()));
            }
            assertEquals(finals, published, "the topic holds the finals, each once, in order, and nothing else");
        }
    }

    @Test
    void aBrokerDownEvenAtStartUpNeverHoldsASessionUpAndWhatIsLostIsCounted() throws Exception {
        broker.stop();
        Path dir = PackagedParley.folder("kafka-down");
        try (PackagedParley parley = PackagedParley.start(dir, Map.of("PARLEY_KAFKA_ENABLED", "true",
                "PARLEY_KAFKA_BROKERS", broker.bootstrap(), "PARLEY_KAFKA_MAX_BLOCK_MS", "1000",
                "PARLEY_KAFKA_TOPIC", "while-down"))) {
            long started = System.nanoTime();
            ListenClient client = say(parley, "0920");
            long took = Duration.ofNanos(System.nanoTime() - started).toMillis();
            long speech = LibriVox.get("0920").durationMs();
            assertTrue(took < speech + 5000, "the session took " + took + " ms for " + speech
                    + " ms of speech: the broker held it up");
            assertTrue(client.types().contains("transcript.final"));
            assertTrue(client.types().contains("translation.final"));
            long publishable = client.events().stream().filter(e -> PUBLISHED.contains(e.type())).count();

            // Every event the route could not send is counted: failed (after max.block.ms) or dropped.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            long lost = 0;
            while (System.nanoTime() < deadline) {
                JsonNode details = kafkaRoute(parley);
                lost = details.path("route.kafka.failed").asLong() + details.path("route.kafka.dropped").asLong();
                if (lost >= publishable) {
                    break;
                }
                Thread.sleep(500);
            }
            assertEquals(publishable, lost, "every event of the session is counted as lost");
            assertEquals(0, kafkaRoute(parley).path("route.kafka.delivered").asLong());
            assertTrue(Files.readString(dir.resolve("parley.log")).contains("Route kafka failed on"),
                    "the loss is logged with the route's id");

            // The broker comes back: the next session's events arrive.
            broker.restart();
            String later = Recipes.sessionId(say(parley, "0880"));
            assertTrue(consume("while-down", 1).containsKey(later), "a session after the broker's return is published");
        } finally {
            broker.restart();
        }
    }

    private static ListenClient say(PackagedParley parley, String recording) {
        try {
            return Recipes.say(parley.ws("/v1/listen?targets=es"), recording);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode kafkaRoute(PackagedParley parley) throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http("/observe/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        for (JsonNode check : JSON.readTree(health.body()).path("checks")) {
            if (check.path("name").asText().equals("event-routes")) {
                return check.path("details");
            }
        }
        throw new AssertionError("no event-routes check in " + health.body());
    }

    /** Reads the topic until {@code sessions} sessions' session.closed have come, grouped by key in partition order. */
    private static Map<String, List<ConsumerRecord<String, String>>> consume(String topic, int sessions) {
        Map<String, List<ConsumerRecord<String, String>>> bySession = new HashMap<>();
        Set<String> closed = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = consumer(topic)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (closed.size() < sessions && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    bySession.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record);
                    if (record.value().contains("\"type\":\"session.closed\"")) {
                        closed.add(record.key());
                    }
                }
            }
        }
        assertFalse(closed.size() < sessions, "only " + closed.size() + " of " + sessions + " sessions closed on " + topic);
        return bySession;
    }

    /** Reads at least {@code count} records, then a second more, so that extra ones would show. */
    private static List<ConsumerRecord<String, String>> consumeAtLeast(String topic, int count) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(topic)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
        }
        return records;
    }

    private static KafkaConsumer<String, String> consumer(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p);
        consumer.subscribe(List.of(topic));
        return consumer;
    }
}
