package dev.parley.realtime.pocketsphinx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The learnt priors in Parley's state folder ({@code cmn-priors.json}), so that a restart starts from
 * what the last run learnt instead of a guess that costs every first utterance a second pass:
 * <pre>
 *   {"v": 1, "priors": {"8000": [{"mean": [13 numbers], "frames": 1234}, ...], "24000": [...]}}
 * </pre>
 * one entry per remembered stream, oldest first. Written whole to a temp file, forced and renamed,
 * so a crash leaves the previous file or this one.
 */
final class CmnPriorFile {

    static final String NAME = "cmn-priors.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    CmnPriorFile(Path dir) {
        this.file = dir.resolve(NAME);
    }

    Path path() {
        return file;
    }

    /** The saved streams per source rate; none when there is no file. */
    Map<Integer, List<CmnPrior.Voice>> load() throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        if (root == null || root.path("v").asInt() != 1 || !root.path("priors").isObject()) {
            throw new IOException("not a version 1 priors file");
        }
        Map<Integer, List<CmnPrior.Voice>> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("priors").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> rate = it.next();
            List<CmnPrior.Voice> voices = new ArrayList<>();
            for (JsonNode v : rate.getValue()) {
                JsonNode mean = v.path("mean");
                float[] m = new float[mean.size()];
                for (int i = 0; i < m.length; i++) {
                    double x = mean.get(i).asDouble(Double.NaN);
                    if (!Double.isFinite(x)) {
                        throw new IOException("a mean of rate " + rate.getKey() + " is not a list of numbers");
                    }
                    m[i] = (float) x;
                }
                voices.add(CmnPrior.Voice.of(m, v.path("frames").asLong()));
            }
            out.put(Integer.parseInt(rate.getKey()), voices);
        }
        return out;
    }

    void save(Map<Integer, CmnPrior> priors) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("v", 1);
        ObjectNode byRate = root.putObject("priors");
        priors.forEach((rate, prior) -> {
            ArrayNode voices = byRate.putArray(Integer.toString(rate));
            for (CmnPrior.Voice v : prior.members()) {
                ArrayNode mean = voices.addObject().put("frames", v.frames()).putArray("mean");
                for (float x : v.mean()) {
                    mean.add(x);
                }
            }
        });
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("." + NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
