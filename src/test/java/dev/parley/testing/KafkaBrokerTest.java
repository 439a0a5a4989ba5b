package dev.parley.testing;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness starts a real broker that keeps records, fails clients while down, and comes back with its data. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaBrokerTest {

    private static final String TOPIC = "harness-check";
    private static final int KEYS = 10;
    private static final int PER_KEY = 50;

    @Test
    void recordsSurviveAnOutageAndClientsFailWithinTheirBoundWhileItLasts() throws Exception {
        long t0 = System.nanoTime();
        try (KafkaBroker broker = KafkaBroker.start()) {
            System.out.printf("broker started in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            // Several partitions, so per-key order is a property of keyed partitioning, not of there being one log.
            broker.createTopic(TOPIC, 3);

            try (KafkaProducer<String, String> producer = producer(broker, 10_000)) {
                List<Future<?>> sent = new ArrayList<>();
                for (int i = 0; i < PER_KEY; i++) {
                    for (int k = 0; k < KEYS; k++) {
                        sent.add(producer.send(new ProducerRecord<>(TOPIC, "key-" + k, Integer.toString(i))));
                    }
                }
                for (Future<?> f : sent) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            assertInOrderPerKey(consumeAll(broker, KEYS * PER_KEY), PER_KEY);

            broker.stop();
            // A fresh producer has no metadata, so send blocks for it at most max.block.ms, then fails.
            try (KafkaProducer<String, String> producer = producer(broker, 2_000)) {
                long s0 = System.nanoTime();
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> producer.send(new ProducerRecord<>(TOPIC, "key-0", "lost")).get(10, TimeUnit.SECONDS));
                long blockedMs = (System.nanoTime() - s0) / 1_000_000;
                assertInstanceOf(TimeoutException.class, failed.getCause());
                assertTrue(blockedMs >= 1_500 && blockedMs < 5_000, "send failed after " + blockedMs + " ms");
            }

            long r0 = System.nanoTime();
            broker.restart();
            System.out.printf("broker restarted in %d ms%n", (System.nanoTime() - r0) / 1_000_000);
            try (KafkaProducer<String, String> producer = producer(broker, 10_000)) {
                producer.send(new ProducerRecord<>(TOPIC, "key-0", Integer.toString(PER_KEY))).get(30, TimeUnit.SECONDS);
            }
            List<ConsumerRecord<String, String>> after = consumeAll(broker, KEYS * PER_KEY + 1);
            assertEquals(KEYS * PER_KEY + 1, after.size());
            assertEquals(PER_KEY + 1, after.stream().filter(r -> r.key().equals("key-0")).count());
        }
        System.out.printf("test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    private static KafkaProducer<String, String> producer(KafkaBroker broker, int maxBlockMs) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlockMs),
                new StringSerializer(), new StringSerializer());
    }

    /** Reads the topic from the start with a new consumer group until {@code expected} records or 30 s. */
    private static List<ConsumerRecord<String, String>> consumeAll(KafkaBroker broker, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        assertEquals(expected, records.size(), "records read back");
        return records;
    }

    /** Each key's values arrive as 0, 1, 2, ... in the order they were sent. */
    private static void assertInOrderPerKey(List<ConsumerRecord<String, String>> records, int perKey) {
        Map<String, List<Integer>> byKey = new HashMap<>();
        records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Integer.parseInt(r.value())));
        assertEquals(KEYS, byKey.size());
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < perKey; i++) {
            expected.add(i);
        }
        byKey.forEach((key, values) -> assertEquals(expected, values, key));
    }
}
