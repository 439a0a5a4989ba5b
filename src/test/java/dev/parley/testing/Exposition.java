package dev.parley.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A Prometheus text exposition as scraped: its samples read by name and labels, and promtool's verdict on it. */
public record Exposition(String text) {

    /** The sum of the samples named {@code name} that carry every label given as {@code key="value"}; 0 if none. */
    public double value(String name, String... labels) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            String series = line.substring(0, line.lastIndexOf(' '));
            boolean all = true;
            for (String label : labels) {
                all &= series.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Only the families whose name starts with the prefix: their HELP, TYPE and samples. */
    public Exposition only(String prefix) {
        List<String> kept = new ArrayList<>();
        for (String line : text.split("\n")) {
            String name = line.startsWith("# ") ? line.split(" ")[2] : line.split("[{ ]")[0];
            if (name.startsWith(prefix)) {
                kept.add(line);
            }
        }
        return new Exposition(String.join("\n", kept) + "\n");
    }

    /** Runs {@code promtool check metrics} on this text: its exit code (0 clean, 1 unparsable, 3 lint problems) and output. */
    public Promtool check() throws IOException, InterruptedException {
        Path out = Files.createTempFile("promtool", ".txt");
        try {
            Process process = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("promtool check metrics did not finish in 30 s");
            }
            return new Promtool(process.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    public record Promtool(int exitCode, String output) {
    }
}
