package dev.parley.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.ParleyServer;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** A member of staff signed in to a Parley's console over HTTP: its cookie, and its CSRF token for changes. */
public final class StaffClient {

    static final ObjectMapper JSON = new ObjectMapper();

    final Function<String, URI> parley;
    final HttpClient http;
    final String cookie;
    final String csrf;

    private StaffClient(Function<String, URI> parley, HttpClient http, String cookie, String csrf) {
        this.parley = parley;
        this.http = http;
        this.cookie = cookie;
        this.csrf = csrf;
    }

    static HttpResponse<String> signInForm(ParleyServer parley, String name, String key) throws Exception {
        return signInForm(parley::http, parley.client(), name, key);
    }

    static HttpResponse<String> signInForm(Function<String, URI> parley, HttpClient http, String name, String key) throws Exception {
        String form = "name=" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);
        return http.send(HttpRequest.newBuilder(parley.apply("/console/login"))
                        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public static StaffClient signIn(ParleyServer parley, String name, String key) throws Exception {
        return signIn(parley::http, parley.client(), name, key);
    }

    static StaffClient signIn(Function<String, URI> parley, HttpClient http, String name, String key) throws Exception {
        HttpResponse<String> response = signInForm(parley, http, name, key);
        if (response.statusCode() != 303) {
            throw new IllegalStateException("sign-in answered " + response.statusCode());
        }
        String cookie = response.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        HttpResponse<String> me = http.send(HttpRequest.newBuilder(parley.apply("/console/me"))
                .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
        return new StaffClient(parley, http, cookie, JSON.readTree(me.body()).path("csrf").asText());
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.apply(path)).header("Cookie", cookie).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> bytes(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.apply(path)).header("Cookie", cookie).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    JsonNode json(String path) throws Exception {
        HttpResponse<String> response = get(path);
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    HttpResponse<String> post(String path, boolean withCsrf) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(parley.apply(path)).header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60));
        if (withCsrf) {
            request.header("X-CSRF-Token", csrf);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An {@code /api/events} stream, read in the background: the envelopes it has brought so far. */
    public Events events(String query) throws Exception {
        HttpResponse<Stream<String>> response = http.send(HttpRequest.newBuilder(parley.apply("/api/events" + query))
                .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("/api/events answered " + response.statusCode());
        }
        Events events = new Events(response);
        Thread reader = new Thread(events::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        return events;
    }

    public static final class Events implements AutoCloseable {
        final HttpResponse<Stream<String>> response;
        public final List<JsonNode> received = new CopyOnWriteArrayList<>();

        Events(HttpResponse<Stream<String>> response) {
            this.response = response;
        }

        private void read() {
            try (Stream<String> lines = response.body()) {
                lines.filter(l -> l.startsWith("data: ")).forEach(l -> {
                    try {
                        received.add(JSON.readTree(l.substring(6)));
                    } catch (Exception e) {
                        throw new IllegalStateException("not JSON: " + l, e);
                    }
                });
            } catch (RuntimeException closed) {
                // the test closed the stream
            }
        }

        public JsonNode await(Predicate<JsonNode> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (JsonNode event : received) {
                    if (match.test(event)) {
                        return event;
                    }
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no such event within " + timeout + "; received " + received.size());
        }

        @Override
        public void close() {
            response.body().close();
        }
    }
}
