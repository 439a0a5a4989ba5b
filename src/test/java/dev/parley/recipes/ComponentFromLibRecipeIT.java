package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recipe examples/routes/finals-to-stdout.camel.yaml on the packaged jar: docs/recipes.md, "A component from lib/".
 * camel-stream is not in Parley's jar; the build copies it to target/it-lib/ for these tests only. And what stops
 * Parley at start-up instead: each refusal exits with 1 within a bound, names the file and the problem on one
 * "Parley did not start" line, and prints no stack trace.
 */
@Timeout(300)
class ComponentFromLibRecipeIT {

    private static final Path IT_LIB = Path.of("target", "it-lib").toAbsolutePath();
    private static final String CAMEL_STREAM = "camel-stream-4.17.0.jar";
    private static final Duration REFUSAL = Duration.ofSeconds(60);
    /** A line of a Java stack trace. */
    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(|^Caused by: |Exception in thread");

    @Test
    void aComponentJarInLibServesARouteThatPrintsEachFinalToStandardOutput() throws Exception {
        Path dir = Recipes.folderWith("component-from-lib", "finals-to-stdout.camel.yaml");
        Files.copy(IT_LIB.resolve(CAMEL_STREAM), dir.resolve("lib").resolve(CAMEL_STREAM));
        try (PackagedParley parley = PackagedParley.start(dir);
             ListenClient client = Recipes.say(parley.ws("/v1/listen?targets="), "0880")) {
            List<JsonNode> finals = client.events("transcript.final");
            assertFalse(finals.isEmpty(), "finals: " + client.types());
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> printed(parley).size() >= finals.size()),
                    "a line per final on standard output");
            assertEquals(finals, printed(parley), "each line is the envelope the client received");
            assertTrue(parley.log().contains("Added 1 jars from " + dir.resolve("lib")), "the log says what lib/ added");
        }
    }

    @Test
    void aCamelJarOfAnotherCamelVersionInLibStopsStartUpNamingTheJarAndBothVersions() throws Exception {
        Path dir = Recipes.folderWith("other-camel-version", "finals-to-stdout.camel.yaml");
        Files.copy(IT_LIB.resolve("camel-stream-4.14.0.jar"), dir.resolve("lib").resolve("camel-stream-4.14.0.jar"));
        assertRefused(dir, "lib jar " + dir.resolve("lib").resolve("camel-stream-4.14.0.jar"), "Camel 4.14.0", "Camel 4.17.0");
    }

    @Test
    void aFileInLibThatIsNotAJarStopsStartUpNamingIt() throws Exception {
        Path dir = PackagedParley.folder("broken-jar");
        Files.writeString(dir.resolve("lib").resolve("broken.jar"), "this is not a zip file\n");
        assertRefused(dir, "lib jar " + dir.resolve("lib").resolve("broken.jar"), "cannot be read as a jar");
    }

    @Test
    void aRouteFileThatDoesNotParseStopsStartUpNamingIt() throws Exception {
        Path dir = PackagedParley.folder("unparsable-route");
        Files.writeString(dir.resolve("routes").resolve("broken.camel.yaml"), """
                - route:
                    id: broken
                    from:
                      uri: parley:events
                      steps:
                        - to: file:out
                       - log: "one space short"
                """);
        assertRefused(dir, "broken.camel.yaml", "line 4, column 7");
    }

    @Test
    void aRouteToAComponentParleyDoesNotHaveStopsStartUpNamingTheFileAndTheComponent() throws Exception {
        Path dir = PackagedParley.folder("unknown-component");
        Files.writeString(dir.resolve("routes").resolve("nosuch.camel.yaml"), """
                - route:
                    id: nosuch
                    from:
                      uri: parley:events
                      steps:
                        - to: nosuch:x
                """);
        assertRefused(dir, "nosuch.camel.yaml", "nosuch://x");
    }

    @Test
    void anUnknownEndpointOptionStopsStartUpNamingTheFileAndTheOption() throws Exception {
        Path dir = PackagedParley.folder("unknown-option");
        Files.writeString(dir.resolve("routes").resolve("typo.camel.yaml"), """
                - route:
                    id: typo
                    from:
                      uri: parley:events
                      parameters:
                        types: transcript.final
                      steps:
                        - to: file:out?fileNme=x.json
                """);
        assertRefused(dir, "typo.camel.yaml", "Unknown parameters=[{fileNme=x.json}]");
    }

    /** Parley in {@code dir} exits with 1 by itself, saying on standard error why, with each of {@code expected}, and no stack trace. */
    private static void assertRefused(Path dir, String... expected) throws Exception {
        long start = System.nanoTime();
        PackagedParley.Exit exit = PackagedParley.startExpectingFailure(dir, REFUSAL);
        System.out.printf("%s: exit %d after %d ms: %s%n", dir.getFileName(), exit.code(), (System.nanoTime() - start) / 1_000_000,
                exit.stderr().lines().filter(l -> l.startsWith("Parley did not start")).findFirst().orElse("(no reason)"));
        assertEquals(1, exit.code(), exit.output());
        String reason = exit.stderr().substring(Math.max(0, exit.stderr().indexOf("Parley did not start: ")));
        assertTrue(reason.startsWith("Parley did not start: "), "the reason on standard error:\n" + exit.stderr());
        for (String part : expected) {
            assertTrue(reason.contains(part), "the reason names '" + part + "':\n" + reason);
        }
        assertFalse(STACK_FRAME.matcher(exit.stderr()).find(), "no stack trace on standard error:\n" + exit.stderr());
    }

    /** The JSON lines Parley printed to its standard output. */
    private static List<JsonNode> printed(PackagedParley parley) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : parley.stdout().lines().toList()) {
                if (line.startsWith("{")) {
                    out.add(Recipes.json(line));
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return out;
    }
}
