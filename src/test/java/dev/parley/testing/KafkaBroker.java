package dev.parley.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka broker for integration tests: one KRaft node that is both broker and
 * controller, in a child JVM on 127.0.0.1, so a test can kill it (an outage) and start it again on
 * the same ports with the same data. The broker is Kafka's own {@code kafka.Kafka}, the version
 * camel-kafka is built against (see pom.xml), run from the test class path.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final int port;
    private final Path log;
    // The data dir is formatted for one cluster id; a restart must name the same one.
    private final String clusterId = Uuid.randomUuid().toString();
    private Process process;

    private KafkaBroker(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.log = dir.resolve("broker.log");
    }

    /** A broker with its data in a new temp folder under target/. */
    public static KafkaBroker start() throws IOException {
        return start(Files.createTempDirectory(Files.createDirectories(Path.of("target")), "kafka"));
    }

    /** A broker with its config, data and log in {@code dir}; returns once the broker answers clients. */
    public static KafkaBroker start(Path dir) throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        int controllerPort = freePort();
        Files.writeString(dir.resolve("server.properties"), String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                // A static one-voter quorum, as 3.9's own config/kraft/server.properties does;
                // --standalone (a dynamic quorum, KIP-853) is newer and buys a test nothing.
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                // One node: every replication factor and ISR must be 1 or topics cannot be created.
                "num.partitions=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                // The internal topics' default 50 partitions make the first consumer group wait.
                "offsets.topic.num.partitions=1",
                "transaction.state.log.num.partitions=1",
                // A test's consumer group should start consuming at once, not after 3 s.
                "group.initial.rebalance.delay.ms=0",
                // After a kill, the restarted controller refuses the broker's new incarnation until the
                // old one's session expires (9 s by default, ~14 s with registration back-off).
                "broker.session.timeout.ms=3000",
                "broker.heartbeat.interval.ms=500",
                // A shared 2-core machine: fewer threads than the production defaults.
                "num.network.threads=2",
                "num.io.threads=2",
                "background.threads=2",
                ""));
        KafkaBroker broker = new KafkaBroker(dir, port);
        broker.launch();
        return broker;
    }

    /** "127.0.0.1:port", for {@code bootstrap.servers}. */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** The broker's log (its stdout and stderr, across restarts). */
    public Path log() {
        return log;
    }

    /** Creates a topic with this many partitions (replication factor 1). */
    public void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** An admin client for this broker; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    }

    /** Kills the broker, as a crash or outage would (no clean shutdown), and waits until it is gone. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Kafka broker did not die within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        process = null;
    }

    /** Starts the broker again on the same ports with the same data, once it is stopped or killed. */
    public void restart() throws IOException {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    private void launch() throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java,
                // Startup speed over peak throughput: a test broker lives for seconds.
                "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // The test class path has slf4j-simple: warnings and errors only, plus the started line.
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-cp", System.getProperty("java.class.path"),
                Child.class.getName(),
                dir.resolve("server.properties").toAbsolutePath().toString(),
                clusterId);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        awaitReady();
    }

    /** Returns once the broker answers a describeCluster, or throws with its log's last lines. */
    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        // Wait for the port first: an admin client pointed at a closed port fills the test's output with warnings.
        while (!accepts() && process.isAlive() && System.nanoTime() < deadline) {
            sleep(100);
        }
        try (Admin admin = admin()) {
            while (process.isAlive() && System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000)).nodes().get().isEmpty()) {
                        return;
                    }
                } catch (Exception notReadyYet) {
                    sleep(200);
                }
            }
        }
        String why = process.isAlive() ? "did not answer within " + READY_TIMEOUT : "exited with " + process.exitValue();
        stop();
        throw new IllegalStateException("Kafka broker " + why + "; last lines of " + log + ":\n" + tail(40));
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The child JVM's entry point: args are the server.properties path and the cluster id. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            // The test JVM holds our stdin; when it exits, even by kill -9, the pipe closes and the
            // broker goes too, rather than living on as an orphan holding ports and CPU.
            Thread watchdog = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // nothing is ever sent; wait for end of stream
                    }
                } catch (IOException ignored) {
                    // a broken pipe is the same news
                }
                Runtime.getRuntime().halt(1);
            }, "parent-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            // KRaft needs formatted storage; --ignore-formatted leaves a restart's data as it is.
            // execute, unlike StorageTool.main, does not exit the JVM.
            int formatted = kafka.tools.StorageTool.execute(new String[] {
                    "format", "--config", args[0], "--cluster-id", args[1], "--ignore-formatted"}, System.out);
            if (formatted != 0) {
                System.err.println("kafka-storage format failed with " + formatted);
                Runtime.getRuntime().halt(formatted);
            }
            kafka.Kafka.main(new String[] {args[0]});
        }
    }
}
