package dev.parley.telephony;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Twilio stream: connected, start, media of each track in 20 ms messages (interleaved), stop. */
public final class TwilioStream {

    private static final ObjectMapper JSON = new ObjectMapper();

    public final SocketClient ws;
    public final String streamSid;
    public final String callSid;
    /** The last sequenceNumber sent; a test sending its own messages counts on from it. */
    public long seq;
    private final Map<String, Integer> chunks = new LinkedHashMap<>();

    public TwilioStream(SocketClient ws, String name) {
        this.ws = ws;
        this.streamSid = "MZ" + name;
        this.callSid = "CA" + name;
    }

    public void start(List<String> tracks, Map<String, String> params) throws Exception {
        ws.send(Map.of("event", "connected", "protocol", "Call", "version", "1.0.0"));
        ObjectNode m = JSON.createObjectNode().put("event", "start").put("sequenceNumber", Long.toString(++seq))
                .put("streamSid", streamSid);
        ObjectNode s = m.putObject("start").put("accountSid", "AC0").put("streamSid", streamSid).put("callSid", callSid);
        tracks.forEach(s.putArray("tracks")::add);
        s.set("customParameters", JSON.valueToTree(params));
        s.putObject("mediaFormat").put("encoding", "audio/x-mulaw").put("sampleRate", 8000).put("channels", 1);
        ws.send(m);
    }

    public void media(String track, byte[] payload) throws Exception {
        int chunk = chunks.merge(track, 1, Integer::sum);
        ObjectNode m = JSON.createObjectNode().put("event", "media").put("sequenceNumber", Long.toString(++seq))
                .put("streamSid", streamSid);
        m.putObject("media").put("track", track).put("chunk", Integer.toString(chunk))
                .put("timestamp", Integer.toString((chunk - 1) * 20)).put("payload", Base64.getEncoder().encodeToString(payload));
        ws.send(m);
    }

    /** Sends the tracks' audio in 20 ms messages, alternating tracks, at {@code speed} times real time. */
    public void audio(Map<String, byte[]> tracks, double speed) throws Exception {
        int longest = tracks.values().stream().mapToInt(a -> a.length).max().orElse(0);
        long startNs = System.nanoTime();
        for (int off = 0; off < longest; off += 160) {
            for (Map.Entry<String, byte[]> t : tracks.entrySet()) {
                byte[] a = t.getValue();
                byte[] frame = new byte[160];
                java.util.Arrays.fill(frame, (byte) 0xFF);
                if (off < a.length) {
                    System.arraycopy(a, off, frame, 0, Math.min(160, a.length - off));
                }
                media(t.getKey(), frame);
            }
            long due = startNs + (long) ((off + 160) / 8 * 1e6 / speed);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
    }

    public void stop() throws Exception {
        ObjectNode m = JSON.createObjectNode().put("event", "stop").put("sequenceNumber", Long.toString(++seq))
                .put("streamSid", streamSid);
        m.putObject("stop").put("accountSid", "AC0").put("callSid", callSid);
        ws.send(m);
    }
}
