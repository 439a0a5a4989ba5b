package dev.parley.testing;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Parley as a user runs it: {@code java -jar target/parley.jar} in a child process, in a folder of its
 * own that the test fills as a user would the folder Parley runs in ({@code routes/}, {@code lib/},
 * {@code application.properties}). Only what the packaged jar holds is there: a route that works here
 * works for users. Settings come from the environment (PARLEY_PORT, ...), as in production. Parley's
 * standard output goes to {@code parley.out} and its log (standard error) to {@code parley.log} in that
 * folder. Integration tests ({@code *IT}) use it; {@code mvn verify} builds the jar before they run.
 */
public final class PackagedParley implements AutoCloseable {

    /** The jar {@code mvn package} builds; its manifest's class path is {@code target/lib/}. */
    public static final Path JAR = Path.of("target", "parley.jar").toAbsolutePath();
    private static final Duration READY = Duration.ofSeconds(90);
    private static final Duration STOP = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path dir;
    private final int port;
    /** The trust of a client of a Parley serving TLS ({@code PARLEY_TLS_CERT}), or null when it serves plain HTTP. */
    private final SSLContext trust;
    private final Thread reaper;

    private PackagedParley(Process process, Path dir, int port, SSLContext trust) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.trust = trust;
        // A test JVM that dies (a timeout, Ctrl-C) takes its Parley with it.
        this.reaper = new Thread(process::destroyForcibly, "packaged-parley-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** A fresh, empty folder under target/ to run a Parley in, with {@code routes/} and {@code lib/} made. */
    public static Path folder(String name) throws IOException {
        Path parent = Files.createDirectories(Path.of("target", "packaged").toAbsolutePath());
        Path dir = Files.createTempDirectory(parent, name + "-");
        Files.createDirectories(dir.resolve("routes"));
        Files.createDirectories(dir.resolve("lib"));
        return dir;
    }

    /** Starts Parley in {@code dir} and waits until it is ready. */
    public static PackagedParley start(Path dir) throws Exception {
        return start(dir, Map.of());
    }

    /**
     * Starts Parley in {@code dir} with the test's settings plus {@code env} (which wins), and waits
     * until {@code /observe/health/ready} answers 200; on failure the exception holds the log's tail.
     */
    public static PackagedParley start(Path dir, Map<String, String> env) throws Exception {
        return start(dir, env, null);
    }

    /** The same, for a Parley that serves TLS (its certificate in {@code env}): {@code trust} trusts it. */
    public static PackagedParley start(Path dir, Map<String, String> env, SSLContext trust) throws Exception {
        // A restart on the port of an earlier run names it (PARLEY_PORT), so its clients find it again.
        int port = env.containsKey("PARLEY_PORT") ? Integer.parseInt(env.get("PARLEY_PORT")) : freePort();
        PackagedParley parley = new PackagedParley(launch(dir, port, env), dir, port, trust);
        try {
            parley.awaitReady(READY);
        } catch (Exception | AssertionError e) {
            parley.close();
            throw e;
        }
        return parley;
    }

    /** How a Parley that was meant to refuse to start ended. */
    public record Exit(int code, String stdout, String stderr) {
        /** Standard output, then standard error. */
        public String output() {
            return stdout + stderr;
        }
    }

    /** Starts Parley in {@code dir} and waits, at most {@code timeout}, for it to exit by itself. */
    public static Exit startExpectingFailure(Path dir, Duration timeout) throws Exception {
        return startExpectingFailure(dir, Map.of(), timeout);
    }

    public static Exit startExpectingFailure(Path dir, Map<String, String> env, Duration timeout) throws Exception {
        Process process = launch(dir, freePort(), env);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("Parley in " + dir + " was expected to stop by itself but still ran after " + timeout
                    + "; its log ends:\n" + tail(read(dir.resolve("parley.log")), 40));
        }
        return new Exit(process.exitValue(), read(dir.resolve("parley.out")), read(dir.resolve("parley.log")));
    }

    private static Process launch(Path dir, int port, Map<String, String> env) throws IOException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is missing: run the integration tests with mvn verify (it packages first)");
        }
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command"));
        List<String> command = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("parley.out").toFile())
                .redirectError(dir.resolve("parley.log").toFile());
        Map<String, String> environment = builder.environment();
        environment.putAll(testSettings(port));
        environment.putAll(env);
        return builder.start();
    }

    /** The overrides every test Parley gets, as environment variables (see ParleyServer). */
    private static Map<String, String> testSettings(int port) {
        Map<String, String> env = new HashMap<>();
        env.put("PARLEY_PORT", Integer.toString(port));
        env.put("PARLEY_HOST", "127.0.0.1");
        // Tests open many connections a second from one address: raise the limits, keep authentication on.
        env.put("PARLEY_AUTH_RATE_LIMIT_PER_MINUTE", "100000");
        env.put("PARLEY_AUTH_RATE_LIMIT_BURST", "10000");
        env.put("PARLEY_AUTH_MAX_ANONYMOUS_PER_ADDRESS", "10000");
        // Two decoders warm are enough for a test, and spare the CPU the others would cost.
        env.put("PARLEY_RECOGNIZER_POCKETSPHINX_WARM_DECODERS", "2");
        // No warm-up: a test about the first sessions after a start turns it on (PARLEY_RECOGNIZER_WARMUP).
        // What Parley learns (state/) stays in the test's own folder, as everything else.
        env.put("PARLEY_RECOGNIZER_WARMUP", "false");
        return env;
    }

    /** The folder Parley runs in. */
    public Path dir() { return dir; }

    public int port() { return port; }

    public URI http(String path) {
        return URI.create((trust == null ? "http" : "https") + "://127.0.0.1:" + port + path);
    }

    /** An HTTP client of this Parley (trusting its certificate when it serves TLS). */
    public HttpClient client() {
        return trust == null ? HttpClient.newHttpClient() : HttpClient.newBuilder().sslContext(trust).build();
    }

    /** The archive's root folder (Parley's default, {@code archive/} in the folder it runs in). */
    public Path archive() {
        return dir.resolve("archive");
    }

    /** A WebSocket address with a fresh token from {@code /api/realtime-token}, as a browser would use. */
    public URI ws(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> response = client().send(HttpRequest.newBuilder(http("/api/realtime-token"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("token endpoint answered " + response.statusCode() + ": " + response.body());
        }
        String token = JSON.readTree(response.body()).path("token").asText();
        return wsWithoutToken(pathAndQuery + (pathAndQuery.contains("?") ? "&" : "?") + "token=" + token);
    }

    /** A WebSocket address as given, with no token (telephony platforms authenticate otherwise). */
    public URI wsWithoutToken(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + port + pathAndQuery);
    }

    /** Parley's log so far (its standard error). */
    public String log() throws IOException {
        return read(dir.resolve("parley.log"));
    }

    /** What Parley wrote to its standard output so far (a {@code stream:out} route's, say). */
    public String stdout() throws IOException {
        return read(dir.resolve("parley.out"));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void awaitReady(Duration timeout) throws Exception {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        HttpClient client = trust == null ? builder.build() : builder.sslContext(trust).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("Parley in " + dir + " exited with " + process.exitValue()
                        + " before it was ready; its log ends:\n" + tail(log(), 40));
            }
            try {
                HttpResponse<Void> ready = client.send(HttpRequest.newBuilder(http("/observe/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Parley in " + dir + " was not ready within " + timeout + "; its log ends:\n" + tail(log(), 40));
    }

    /** Kills Parley as {@code kill -9} does: no shutdown, nothing flushed that was not written already. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** The running Parley's process, to signal it or wait for it. */
    public Process process() {
        return process;
    }

    /** Stops Parley as a service manager would (SIGTERM), and kills it if it has not stopped within 20 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    /** The last {@code lines} lines of a text. */
    public static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
