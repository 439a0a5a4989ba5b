package dev.parley.endtoend;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What Debian's own {@code apertium} command gives for a text: the reference for Parley's translator. */
final class Apertium {

    private static final Map<String, String> PAIRS = Map.of("es", "eng-spa", "ca", "eng-cat");

    private Apertium() {
    }

    static String translate(String english, String target) throws Exception {
        Process p = new ProcessBuilder("apertium", "-u", PAIRS.get(target)).start();
        p.getOutputStream().write(english.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("apertium failed for " + target);
        }
        return out;
    }
}
