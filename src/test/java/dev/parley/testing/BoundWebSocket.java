package dev.parley.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A plain WebSocket client (RFC 6455, cleartext) whose connection leaves from a chosen local address,
 * e.g. 127.0.0.2: the JDK's client of Java 17 cannot choose one, and a test of limits per client
 * address needs many. Keeps every JSON text message the server sends, and how the server closed.
 */
public final class BoundWebSocket implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final OutputStream out;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason = "";

    private BoundWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
    }

    /** Opens {@code ws://host:port/path?query} from {@code localAddress} with these upgrade headers. */
    public static BoundWebSocket connect(URI uri, String localAddress, Map<String, String> headers) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
        socket.setSoTimeout(10_000);
        BoundWebSocket ws = new BoundWebSocket(socket);
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        StringBuilder request = new StringBuilder("GET ").append(uri.getRawPath())
                .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        request.append("\r\n");
        ws.out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        InputStream in = socket.getInputStream();
        String status = ws.readHead(in);
        if (!status.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("upgrade refused: " + status);
        }
        socket.setSoTimeout(0);
        Thread reader = new Thread(() -> ws.read(new DataInputStream(in)), "ws-" + localAddress);
        reader.setDaemon(true);
        reader.start();
        return ws;
    }

    /** The status line; the rest of the response head is read and ignored. */
    private String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        String text = "";
        while (!text.endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed during the upgrade: " + text);
            }
            head.write(b);
            text = head.toString(StandardCharsets.US_ASCII);
        }
        return text.substring(0, text.indexOf("\r\n"));
    }

    private void read(DataInputStream in) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try {
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long length = b1 & 0x7F;
                if (length == 126) {
                    length = in.readUnsignedShort();
                } else if (length == 127) {
                    length = in.readLong();
                }
                byte[] payload = new byte[(int) length];
                in.readFully(payload);
                int opcode = b0 & 0x0F;
                if (opcode == 8) {
                    int code = payload.length >= 2 ? (payload[0] & 0xFF) << 8 | payload[1] & 0xFF : 1005;
                    closeReason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                    closed.complete(code);
                    send(8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
                    socket.close();
                    return;
                }
                if (opcode == 9) {
                    send(10, payload);
                    continue;
                }
                if (opcode == 1 || opcode == 0) {
                    message.write(payload);
                    if ((b0 & 0x80) != 0) {
                        received.add(JSON.readTree(message.toString(StandardCharsets.UTF_8)));
                        message.reset();
                    }
                }
            }
        } catch (IOException e) {
            closed.complete(1006);
        }
    }

    private synchronized void send(int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x80 | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length);
        } else {
            frame.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                frame.write((int) ((long) payload.length >> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    public void sendBinary(byte[] data) throws IOException {
        send(2, data);
    }

    public void sendText(String text) throws IOException {
        send(1, text.getBytes(StandardCharsets.UTF_8));
    }

    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** The server's close code (1006 when the connection dropped without one). */
    public int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String closeReason() {
        return closeReason;
    }

    /** Waits for a message that matches; fails if the connection closes first or the time runs out. */
    public JsonNode await(Predicate<JsonNode> match, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean wasClosed = closed.isDone();
            for (JsonNode m : received) {
                if (match.test(m)) {
                    return m;
                }
            }
            if (wasClosed) {
                throw new AssertionError("closed (" + closed.getNow(-1) + " " + closeReason + ") before a matching message; "
                        + "received " + received);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no matching message within " + timeout + "; received " + received);
    }

    public JsonNode await(String type, Duration timeout) throws Exception {
        return await(m -> type.equals(m.path("type").asText()), timeout);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
