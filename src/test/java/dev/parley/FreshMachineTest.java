package dev.parley;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.testing.NodeClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Under {@code ./parley test} the test JVMs' PATH is a folder of only the programs of the Debian
 * packages {@code ./parley} installs and of Debian's required and important ones (what a fresh
 * Debian 12 has), so that a test starting a program {@code ./parley} does not install fails here,
 * not on a fresh machine. These tests check that this holds; under a plain {@code mvn test}
 * (no {@code parley.test.path}) they are skipped.
 */
class FreshMachineTest {

    private String folder;

    @BeforeEach
    void onlyUnderParleyTest() {
        folder = System.getProperty("parley.test.path");
        assumeTrue(folder != null && !folder.isBlank(), "runs under ./parley test (-Dparley.test.path)");
    }

    @Test
    void thePathIsOnlyTheFolderOfWhatParleyInstalls() {
        assertEquals(folder, System.getenv("PATH"));
        assertTrue(Files.isDirectory(Path.of(folder)), folder);
    }

    @Test
    void programsParleyDoesNotInstallCannotBeStarted() {
        // python3 is optional in Debian (python3-minimal too) and in neither of ./parley's lists, yet on
        // most developers' PATH. mvn would not do: ./parley installs maven. Nor would java: see
        // startsJavaAsThisJvm. Nor node: ./parley installs nodejs for the npm clients (src/test/node).
        for (String program : List.of("python3")) {
            assertFalse(Files.exists(Path.of(folder, program)), program + " in " + folder);
            assertThrows(IOException.class, () -> new ProcessBuilder(program, "--version").start(),
                    program + " should not be found on PATH " + folder);
        }
    }

    @Test
    void theProgramsTheTestsStartCanBeStarted() throws Exception {
        for (String program : List.of("pocketsphinx_batch", "pocketsphinx_continuous", "sox", "espeak-ng", "apertium",
                "chromium", "chromedriver", "promtool", "node", "npm")) {
            assertStarts(program);
        }
    }

    /** Parley itself starts each program of an Apertium pair's mode file (ApertiumPipeline). */
    @Test
    void everyProgramOfTheApertiumPairsCanBeStarted() throws Exception {
        TreeSet<String> programs = new TreeSet<>();
        for (String pair : List.of("eng-spa", "spa-eng", "eng-cat", "cat-eng")) {
            String mode = Files.readString(Path.of("/usr/share/apertium/modes", pair + ".mode"));
            for (String command : mode.strip().split("\\|")) {
                programs.add(command.strip().split("\\s+")[0]);
            }
        }
        assertTrue(programs.contains("lt-proc"), programs.toString());
        for (String program : programs) {
            assertStarts(program);
        }
    }

    /**
     * java is not on that PATH either: /usr/bin/java is an alternatives link, and bin/java comes from
     * openjdk-17-jre-headless, a dependency of the listed JDK. A child JVM is this JVM's command.
     */
    @Test
    void startsJavaAsThisJvm() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), java + " -version");
    }

    /** Found on PATH and started; stopped at once, as what it does with no arguments does not matter. */
    /** The npm clients the tests drive are the pinned ones, installed by ./parley test with the PATH's node. */
    @Test
    void theNpmClientsAreInstalledAsPinned() throws Exception {
        NodeClients.Run tsc = NodeClients.bin("tsc", List.of("--version"), java.time.Duration.ofSeconds(60));
        assertEquals(0, tsc.exitCode(), tsc.output());
        assertTrue(tsc.output().contains("Version 5.9.3"), tsc.output());
    }

    private static void assertStarts(String program) throws Exception {
        Process p = new ProcessBuilder(program)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), program + " did not stop");
    }
}
