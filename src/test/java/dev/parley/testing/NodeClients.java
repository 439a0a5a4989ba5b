package dev.parley.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real npm clients a test drives (OpenAI's SDK, TypeScript's compiler, axe-core, ...), pinned in
 * src/test/node/package-lock.json and installed there by ./parley test. A script runs with node from
 * that folder, so its imports resolve to those pinned packages.
 */
public final class NodeClients {

    public static final Path FOLDER = Path.of("src/test/node").toAbsolutePath();

    private NodeClients() {
    }

    /** A file of an installed package, e.g. {@code file("axe-core", "axe.min.js")}. */
    public static Path file(String pkg, String path) {
        Path file = FOLDER.resolve("node_modules").resolve(pkg).resolve(path);
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " is missing: ./parley test installs the npm clients (npm ci in " + FOLDER + ")");
        }
        return file;
    }

    /** What a finished node process printed, and its exit code. */
    public record Run(int exitCode, String output) {
    }

    /**
     * Runs {@code node script args...} in src/test/node with extra environment variables, killed after
     * {@code timeout}; stdout and stderr together.
     */
    public static Run node(Path script, List<String> args, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", script.toAbsolutePath().toString()));
        command.addAll(args);
        return run(command, env, timeout);
    }

    /** Runs a program from the installed packages' bin folder, e.g. {@code bin("tsc", ...)}. */
    public static Run bin(String program, List<String> args, Duration timeout) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(FOLDER.resolve("node_modules/.bin").resolve(program).toString()));
        command.addAll(args);
        return run(command, Map.of(), timeout);
    }

    private static Run run(List<String> command, Map<String, String> env, Duration timeout) throws IOException, InterruptedException {
        Path output = Files.createTempFile("parley-node", ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(FOLDER.toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not end within " + timeout + ":\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
