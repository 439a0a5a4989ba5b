package dev.parley.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A plain TCP client that writes HTTP requests and WebSocket frames byte by byte, well-formed or not
 * (real clients refuse to send a malformed frame), and reads what the server answers. Loopback only;
 * every read has a timeout.
 */
public final class RawSocket implements AutoCloseable {

    public static final int CONTINUATION = 0x0, TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xA;
    /** What {@link #awaitClose} returns when the connection ended without a close frame. */
    public static final int NO_CLOSE_FRAME = -1;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static RawSocket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        return new RawSocket(socket);
    }

    /** Connects and upgrades to a WebSocket; fails unless the server answers 101. */
    public static RawSocket webSocket(int port, String pathAndQuery, Map<String, String> headers) throws IOException {
        RawSocket s = connect(port);
        StringBuilder request = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n");
        headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
        s.write(request.append("\r\n").toString());
        String head = s.readHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("upgrade of " + pathAndQuery + " refused: " + head);
        }
        return s;
    }

    public void write(String ascii) throws IOException {
        write(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A client frame: {@code first} is the first byte (FIN, RSV and opcode), masked as clients must unless told. */
    public void frame(int first, byte[] payload, boolean masked) throws IOException {
        write(frameBytes(first, payload, masked));
    }

    /** A well-formed masked client frame. */
    public void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        frame((fin ? 0x80 : 0) | opcode, payload, true);
    }

    /** A frame header claiming {@code length} bytes of payload, without the payload. */
    public void frameHeader(int first, long length) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(first);
        f.write(0x80 | 127);
        for (int i = 7; i >= 0; i--) {
            f.write((int) (length >>> (8 * i)) & 0xFF);
        }
        f.write(new byte[4], 0, 4); // the mask
        write(f.toByteArray());
    }

    public static byte[] frameBytes(int first, byte[] payload, boolean masked) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(first);
        int mask = masked ? 0x80 : 0;
        if (payload.length < 126) {
            f.write(mask | payload.length);
        } else if (payload.length < 65536) {
            f.write(mask | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xFF);
        } else {
            f.write(mask | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) payload.length >>> (8 * i)) & 0xFF);
            }
        }
        if (!masked) {
            f.write(payload, 0, payload.length);
            return f.toByteArray();
        }
        byte[] key = new byte[4];
        ThreadLocalRandom.current().nextBytes(key);
        f.write(key, 0, 4);
        byte[] body = new byte[payload.length];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (payload[i] ^ key[i & 3]);
        }
        f.write(body, 0, body.length);
        return f.toByteArray();
    }

    /** A server frame. */
    public record Frame(boolean fin, int opcode, byte[] payload) {
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        public String text() {
            return new String(payload, opcode == CLOSE && payload.length >= 2 ? 2 : 0,
                    opcode == CLOSE && payload.length >= 2 ? payload.length - 2 : payload.length, StandardCharsets.UTF_8);
        }
    }

    /** The next server frame, or null when the connection ended. */
    public Frame readFrame() throws IOException {
        int b0;
        try {
            b0 = in.read();
        } catch (SocketException reset) {
            return null;
        }
        if (b0 < 0) {
            return null;
        }
        int b1 = readByte();
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (readByte() << 8) | readByte();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte();
            }
        }
        if (length > 16 << 20) {
            throw new IOException("a server frame of " + length + " bytes");
        }
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, in.readNBytes((int) length));
    }

    /**
     * Reads server frames until a close frame and returns its code; {@link #NO_CLOSE_FRAME} if the
     * connection ends without one. Fails after {@code timeout}.
     */
    public int awaitClose(Duration timeout) throws IOException {
        return awaitCloseFrame(timeout).map(Frame::closeCode).orElse(NO_CLOSE_FRAME);
    }

    public java.util.Optional<Frame> awaitCloseFrame(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Frame f;
            try {
                f = readFrame();
            } catch (SocketException | EOFException ended) {
                return java.util.Optional.empty();
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (f == null) {
                return java.util.Optional.empty();
            }
            if (f.opcode() == CLOSE) {
                return java.util.Optional.of(f);
            }
        }
        throw new AssertionError("no close frame within " + timeout);
    }

    /** An HTTP response's status line and headers. */
    public String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** A whole HTTP response (head and a body of its Content-Length), or "" when the connection ended first. */
    public String readResponse() throws IOException {
        String head = readHead();
        if (head.isEmpty()) {
            return "";
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** True once the server has closed the connection (a read returns end of stream or a reset) within {@code timeout}. */
    public boolean closedByServer(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException reset) {
            return true;
        } finally {
            socket.setSoTimeout(10_000);
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
