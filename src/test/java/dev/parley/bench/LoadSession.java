package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One simulated client: streams a {@link SourceAudio.Stream} in 40 ms frames at real-time pace and
 * records when each frame was handed to the transport and when each result arrived. Two kinds: a
 * Parley WebSocket session (token from {@code /api/realtime-token}, as a browser does), or a
 * {@code pocketsphinx_continuous} process fed through its standard input.
 */
abstract class LoadSession {

    static final int FRAME_MS = 40;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A result as received, with the load generator's clock. */
    record Result(String type, String itemId, String language, long startMs, long endMs, String text, long atNanos) { }

    final SourceAudio.Stream audio;
    final int frameBytes;
    final long[] sentAtNanos;
    final List<Result> results = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile long maxLagMs;
    volatile String failure;
    long bytesSent;
    private final MessageDigest digest;
    private int next;
    private long t0;
    private ScheduledFuture<?> ticking;

    LoadSession(SourceAudio.Stream audio) throws Exception {
        this.audio = audio;
        this.frameBytes = audio.rate() / 1000 * 2 * FRAME_MS;
        this.sentAtNanos = new long[(audio.pcm().length + frameBytes - 1) / frameBytes];
        this.digest = MessageDigest.getInstance("SHA-256");
    }

    String sentSha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Wall clock (nanoTime) at which the frame holding stream time {@code ms} was handed to the transport. */
    long sentAt(long ms) {
        int frame = (int) Math.min(sentAtNanos.length - 1, Math.max(0, (ms - 1) / FRAME_MS));
        return sentAtNanos[frame];
    }

    /** Starts pacing frames on the shared ticker: frame k is due {@code k * 40 ms} after the first. */
    void start(ScheduledExecutorService ticker) {
        t0 = System.nanoTime();
        ticking = ticker.scheduleAtFixedRate(this::tick, 0, FRAME_MS, TimeUnit.MILLISECONDS);
    }

    private synchronized void tick() {
        try {
            long now = System.nanoTime();
            while (next < sentAtNanos.length && !busy()) {
                long due = t0 + (long) next * FRAME_MS * 1_000_000L;
                if (due > now) {
                    return;
                }
                maxLagMs = Math.max(maxLagMs, (now - due) / 1_000_000);
                int off = next * frameBytes;
                int len = Math.min(frameBytes, audio.pcm().length - off);
                digest.update(audio.pcm(), off, len);
                bytesSent += len;
                sentAtNanos[next++] = now;
                send(audio.pcm(), off, len);
            }
            if (next < sentAtNanos.length) {
                long due = t0 + (long) next * FRAME_MS * 1_000_000L;
                maxLagMs = Math.max(maxLagMs, (now - due) / 1_000_000);
                return;
            }
            if (!busy()) {
                ticking.cancel(false);
                end();
            }
        } catch (Exception e) {
            fail("sending: " + e);
        }
    }

    void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        if (ticking != null) {
            ticking.cancel(false);
        }
        done.complete(null);
    }

    /** True while the previous frame has not been handed over yet (the transport pushes back). */
    abstract boolean busy();

    abstract void send(byte[] pcm, int off, int len) throws Exception;

    /** No more audio. */
    abstract void end() throws Exception;

    abstract void abort();

    /** A Parley {@code /v1/listen} session. */
    static final class Parley extends LoadSession implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private volatile CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);
        private WebSocket ws;
        volatile JsonNode closed;
        volatile int errors;
        volatile int overloaded;
        volatile String firstError;

        Parley(SourceAudio.Stream audio) throws Exception {
            super(audio);
        }

        void connect(HttpClient http, URI base, String query) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/realtime-token"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("token endpoint answered " + r.statusCode() + ": " + r.body());
            }
            String token = JSON.readTree(r.body()).path("token").asText();
            URI ws = URI.create(base.toString().replaceFirst("^http", "ws") + "/v1/listen?" + query + "&token=" + token);
            this.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(ws, this)
                    .get(15, TimeUnit.SECONDS);
        }

        @Override
        boolean busy() { return !sending.isDone(); }

        @Override
        void send(byte[] pcm, int off, int len) {
            sending = ws.sendBinary(ByteBuffer.wrap(pcm, off, len), true);
        }

        @Override
        void end() {
            sending = ws.sendText("{\"type\":\"input_audio.end\"}", true);
        }

        @Override
        void abort() {
            if (ws != null) {
                ws.abort();
            }
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            long at = System.nanoTime();
            text.append(data);
            if (last) {
                try {
                    JsonNode e = JSON.readTree(text.toString());
                    String type = e.path("type").asText();
                    switch (type) {
                        case "session.closed" -> {
                            closed = e;
                        }
                        case "error" -> {
                            errors++;
                            if ("overloaded".equals(e.path("code").asText())) {
                                overloaded++;
                            } else if (firstError == null) {
                                firstError = e.path("code").asText() + ": " + e.path("message").asText();
                            }
                        }
                        default -> { }
                    }
                    results.add(new Result(type, e.path("item_id").asText(null), e.path("language").asText(null),
                            e.path("start_ms").asLong(-1), e.path("end_ms").asLong(-1),
                            type.equals("tts.audio") ? null : e.path("text").asText(null), at));
                } catch (Exception e) {
                    fail("server sent text that is not JSON");
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (closed == null) {
                fail("closed by the server with " + statusCode + " " + reason + " before session.closed"
                        + (firstError != null ? " (" + firstError + ")" : ""));
            }
            done.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            fail("WebSocket error: " + error);
        }
    }

    /** A {@code pocketsphinx_continuous} process reading raw 16 kHz PCM16 from its standard input. */
    static final class Sphinx extends LoadSession {
        private final Process process;
        private final OutputStream stdin;

        Sphinx(SourceAudio.Stream audio, List<String> decoderArgs) throws Exception {
            super(audio);
            if (audio.rate() != 16000) {
                throw new IllegalArgumentException("pocketsphinx_continuous is fed 16 kHz audio");
            }
            List<String> cmd = new java.util.ArrayList<>(List.of("pocketsphinx_continuous", "-infile", "/dev/stdin",
                    "-logfn", "/dev/null"));
            cmd.addAll(decoderArgs);
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            stdin = process.getOutputStream();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (!line.isBlank()) {
                            results.add(new Result("transcript.final", null, "en", -1, -1, line.trim(), System.nanoTime()));
                        }
                    }
                    process.waitFor();
                } catch (Exception e) {
                    fail("reading pocketsphinx_continuous: " + e);
                }
                done.complete(null);
            }, "sphinx-reader");
            reader.setDaemon(true);
            reader.start();
        }

        int pid() { return (int) process.pid(); }

        @Override
        boolean busy() { return false; }

        /** Blocks when the pipe is full (the decoder is 2 s behind): that shows as ingest lag. */
        @Override
        void send(byte[] pcm, int off, int len) throws Exception {
            stdin.write(pcm, off, len);
            stdin.flush();
        }

        @Override
        void end() throws Exception {
            stdin.close();
        }

        @Override
        void abort() {
            process.destroyForcibly();
        }
    }
}
