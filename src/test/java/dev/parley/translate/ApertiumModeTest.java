package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mode files become shell-free argument lists in null-flush mode. */
class ApertiumModeTest {

    @Test
    void theInstalledEngSpaModeRunsEveryProgramWithZAndTheUnmarkedGenerator() {
        Path file = ApertiumTranslator.DEFAULT_MODES_DIR.resolve("eng-spa.mode");
        assumeTrue(Files.isRegularFile(file));
        ApertiumMode mode = ApertiumMode.read(file);
        assertEquals("eng-spa", mode.name());
        List<List<String>> commands = mode.commands();
        assertTrue(commands.size() >= 8, commands.toString());
        assertEquals(List.of("lt-proc", "-z", "/usr/share/apertium/apertium-eng-spa/eng-spa.automorf.bin"),
                commands.get(0));
        for (List<String> command : commands) {
            assertEquals("-z", command.get(1), command.toString());
            command.forEach(arg -> assertFalse(arg.contains("'") || arg.contains("$") || arg.isEmpty(), command.toString()));
        }
        assertTrue(commands.stream().anyMatch(c -> c.contains("-n") && c.get(c.size() - 1).endsWith("autogen.bin")),
                "the generator gets -n (no unknown-word marks): " + commands);
        assertEquals(List.of("apertium-tagger", "-z", "-g", "/usr/share/apertium/apertium-eng-spa/eng-spa.prob"),
                commands.get(1), "$2 (tagger option) is empty");
    }

    @Test
    void programsThatFlushOnNulByThemselvesGetNoZ() {
        ApertiumMode mode = ApertiumMode.parse("x-y", "hfst-tokenise '/a b.pmhfst' | vislcg3 -g \"/c.bin\" | lt-proc -z $1 /g.bin");
        assertEquals(List.of(List.of("hfst-tokenise", "/a b.pmhfst"), List.of("vislcg3", "-g", "/c.bin"),
                List.of("lt-proc", "-z", "-n", "/g.bin")), mode.commands());
    }

    @Test
    void aModeThatNeedsAShellIsRefusedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApertiumMode.parse("x-y", "lt-proc /a.bin 2>/dev/null | cat"));
        assertTrue(e.getMessage().contains("x-y") && e.getMessage().contains("apy"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ApertiumMode.parse("x-y", "lt-proc $(cat f)"));
        assertThrows(IllegalArgumentException.class, () -> ApertiumMode.parse("x-y", "lt-proc 'unclosed"));
    }
}
