package dev.parley.telephony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.JsonSocket;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A JDK WebSocket client that plays a telephony platform: sends JSON and binary, keeps every JSON message it receives. */
public final class SocketClient extends JsonSocket {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static SocketClient connect(URI uri, Map<String, String> headers) throws Exception {
        SocketClient c = new SocketClient();
        c.open(uri, headers);
        return c;
    }

    public void send(Object json) throws Exception {
        sendText(json instanceof String s ? s : JSON.writeValueAsString(json));
    }

    public JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode m : received()) {
                if (match.test(m)) {
                    return m;
                }
            }
            Thread.sleep(20);
        }
        List<JsonNode> received = received();
        throw new AssertionError("no matching message within " + timeout + "; received " + received.size() + ": "
                + received.stream().limit(20).toList());
    }
}
