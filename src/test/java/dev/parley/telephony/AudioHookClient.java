package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.testing.LibriVox;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;

/** A Genesys-side AudioHook v2 client over a {@link SocketClient}: numbers its messages and tracks the server's. */
public final class AudioHookClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte SILENCE = (byte) 0xFF;   // mu-law zero

    public final SocketClient ws;
    public final String id = UUID.randomUUID().toString();
    public long seq;
    public long serverseq;
    public long samples;

    public AudioHookClient(SocketClient ws) {
        this.ws = ws;
    }

    /** An ISO 8601 duration of samples at 8 kHz, as AudioHook writes positions. */
    public static String duration(long samples) {
        return String.format(Locale.ROOT, "PT%.3fS", samples / 8000.0);
    }

    /** Half a second of silence, the recording as a phone line carries it, then a second of silence. */
    public static byte[] part(String recording) throws Exception {
        return part(recording, 4000 + Telephone.mulaw(LibriVox.get(recording)).length + 8000);
    }

    /** Half a second of silence, the recording as a phone line carries it, then silence up to {@code length} samples. */
    public static byte[] part(String recording, int length) throws Exception {
        byte[] speech = Telephone.mulaw(LibriVox.get(recording));
        byte[] out = new byte[length];
        Arrays.fill(out, SILENCE);
        System.arraycopy(speech, 0, out, 4000, speech.length);
        return out;
    }

    public ObjectNode message(String type) {
        ObjectNode m = JSON.createObjectNode().put("version", "2").put("id", id).put("type", type).put("seq", ++seq)
                .put("serverseq", serverseq).put("position", duration(samples));
        m.putObject("parameters");
        return m;
    }

    /** Audio of each opened channel (of one length) in 200 ms frames at three times real time. */
    public void stream(byte[]... channels) throws Exception {
        long start = System.nanoTime();
        int length = channels[0].length;
        for (int off = 0; off < length; off += 1600) {
            int n = Math.min(1600, length - off);
            byte[] frame = new byte[channels.length * n];
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < channels.length; ch++) {
                    frame[channels.length * i + ch] = channels[ch][off + i];
                }
            }
            ws.sendBinary(frame);
            samples += n;
            long wait = start + (long) ((off + n) / 8 * 1e6 / 3) - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000);
            }
        }
    }

    /** The next server message of this type: one the client has not taken yet. */
    public JsonNode expect(String type) throws Exception {
        JsonNode m = ws.await(r -> r.path("type").asText().equals(type) && r.path("seq").asLong() > serverseq,
                Duration.ofSeconds(20));
        serverseq = m.path("seq").asLong();
        return m;
    }

    public JsonNode open(String conversationId, boolean stereo) throws Exception {
        ObjectNode open = message("open");
        ObjectNode p = (ObjectNode) open.get("parameters");
        p.put("organizationId", "d7934305-0972-4844-938e-9060eef73d05").put("conversationId", conversationId)
                .put("language", "en-US");
        p.putObject("participant").put("id", "883efee8-3d6c-4537-b500-6d7ca4b92fa0").put("ani", "+1-555-555-1234")
                .put("aniName", "John Doe").put("dnis", "+1-800-555-6789");
        var media = p.putArray("media");
        if (stereo) {
            media.addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("external").add("internal");
        }
        media.addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("external");
        media.addObject().put("type", "audio").put("format", "PCMU").put("rate", 8000).putArray("channels").add("internal");
        p.putObject("customConfig").put("customer_targets", "es").put("agent_targets", "es");
        ws.send(open);
        return expect("opened");
    }
}
