package dev.parley.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.archive.ArchiveIndex;
import dev.parley.archive.SessionArchive;
import dev.parley.archive.TranscriptArchive;
import dev.parley.realtime.ChannelStats;
import dev.parley.realtime.RecognitionChannel;
import dev.parley.security.RateLimiter;
import dev.parley.security.StaffAuth;
import dev.parley.security.StaffSessions;
import dev.parley.session.CallSession;
import dev.parley.session.EventJson;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The supervisors' console and the staff API behind it, all for signed-in staff ({@link StaffAuth}):
 * <pre>
 *   GET  /console                     the console (signed out: 401 and the sign-in form)
 *   POST /console/login, /logout      sign in with a staff key (form fields name, key); sign out
 *   GET  /console/me                  who is signed in, and the session's CSRF token
 *   GET  /api/sessions                the sessions in progress, with their health
 *   GET  /api/sessions/search         the archive: q (words), meta (a metadata value), from, to (dates), page, size
 *   POST /api/sessions/reindex        the search index rebuilt from the archive
 *   GET  /api/sessions/{id}           a session in progress, or an archived one
 *   GET  /api/sessions/{id}/{file}    an archived session's audio.wav (ranges), transcript.jsonl,
 *                                     transcript.txt, captions.{lang}.vtt / .srt
 *   GET  /api/events                  every session's events as server-sent events (session, types to filter)
 * </pre>
 * Every action is in the audit log ({@link Audit}) with the staff member's name.
 */
public final class ConsoleApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "[A-Za-z0-9_-]{1,64}";
    private static final Pattern CAPTIONS = Pattern.compile("captions\\.[a-z0-9_-]{1,16}\\.(vtt|srt)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final String CSP = "default-src 'self'; connect-src 'self'; media-src 'self'; img-src 'self' data:; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    private static final long KEEP_ALIVE_MS = 15_000;

    private final StaffAuth staff;
    private final SessionRegistry sessions;
    private final LiveFeed feed;
    private final ArchiveIndex index;
    private final TranscriptArchive archive;
    private final RateLimiter signIns;
    private final String page;
    private final String signInPage;

    private ConsoleApi(StaffAuth staff, RateLimiter signIns, SessionRegistry sessions, LiveFeed feed, ArchiveIndex index,
                       TranscriptArchive archive) {
        this.staff = staff;
        this.signIns = signIns;
        this.sessions = sessions;
        this.feed = feed;
        this.index = index;
        this.archive = archive;
        this.page = resource("web/console/console.html");
        this.signInPage = resource("web/console/sign-in.html");
    }

    /**
     * @param signIns bounds sign-in attempts per client address (as token requests are bounded)
     * @param index   the archive's search index, or null when there is no archive
     */
    public static void mount(Router router, StaffAuth staff, RateLimiter signIns, SessionRegistry sessions, LiveFeed feed,
                             ArchiveIndex index, TranscriptArchive archive) {
        ConsoleApi api = new ConsoleApi(staff, signIns, sessions, feed, index, archive);
        router.get("/console").handler(api::console);
        router.post("/console/login").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(api::signIn);
        router.post("/console/logout").handler(staff::require).handler(api::signOut);
        router.get("/console/me").handler(staff::require).handler(api::me);
        router.get("/console/*").handler(staff::require).handler(rc -> {
            rc.response().putHeader("Cache-Control", "no-cache").putHeader("X-Content-Type-Options", "nosniff");
            rc.next();
        }).handler(StaticHandler.create(FileSystemAccess.RELATIVE, "web/console").setCachingEnabled(false)
                .setDirectoryListing(false).setIncludeHidden(false).setDefaultContentEncoding("UTF-8"));
        router.get("/api/sessions").handler(staff::require).handler(api::live);
        router.get("/api/sessions/search").handler(staff::require).handler(api::search);
        router.post("/api/sessions/reindex").handler(staff::require).handler(api::reindex);
        router.get("/api/sessions/:id").handler(staff::require).handler(api::session);
        router.get("/api/sessions/:id/:file").handler(staff::require).handler(api::file);
        router.get("/api/events").handler(staff::require).handler(api::events);
    }

    private void console(RoutingContext rc) {
        boolean in = staff.authenticate(rc).isPresent();
        rc.response().setStatusCode(in ? 200 : 401).putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", "no-store").putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(in ? page : signInPage.replace("{{message}}", ""));
    }

    private void signIn(RoutingContext rc) {
        if (StaffAuth.crossSite(rc)) {
            rc.response().setStatusCode(403).end("Sign in from this server's own console page.\n");
            return;
        }
        RateLimiter.Decision allowed = signIns.tryAcquire(
                signIns.clientAddress(rc.request().remoteAddress().hostAddress(), rc.request().getHeader("X-Forwarded-For")));
        if (!allowed.allowed()) {
            rc.response().setStatusCode(429).putHeader("Retry-After", Long.toString(allowed.retryAfterSeconds()))
                    .end("Too many sign-in attempts from this address; try again later.\n");
            return;
        }
        String name = rc.request().getFormAttribute("name");
        Optional<String> member = staff.verify(name, rc.request().getFormAttribute("key"));
        if (member.isEmpty()) {
            Audit.log(name == null || !name.matches("[A-Za-z0-9._@-]{1,64}") ? "(unknown)" : name, "sign_in_refused",
                    "from=" + rc.request().remoteAddress());
            rc.response().setStatusCode(401).putHeader("Content-Type", "text/html; charset=utf-8")
                    .putHeader("Content-Security-Policy", CSP)
                    .end(signInPage.replace("{{message}}", "<p class=\"error\">That name and key do not match a staff key.</p>"));
            return;
        }
        staff.signIn(rc, member.get());
        Audit.log(member.get(), "sign_in", "from=" + rc.request().remoteAddress());
        rc.response().setStatusCode(303).putHeader("Location", "/console").end();
    }

    private void signOut(RoutingContext rc) {
        Audit.log(rc, "sign_out", "");
        staff.signOut(rc);
        rc.response().setStatusCode(204).end();
    }

    private void me(RoutingContext rc) {
        StaffSessions.Staff member = StaffAuth.staff(rc);
        json(rc, 200, Map.of("name", member.name(), "csrf", member.csrf(), "csrf_header", StaffAuth.CSRF_HEADER,
                "archive", index != null));
    }

    /** The sessions in progress: what each is, and how it is doing. */
    private void live(RoutingContext rc) {
        List<CallSession> open = sessions.openNow();
        feed.retainOnly(open.stream().map(CallSession::id).collect(Collectors.toSet()));
        List<Map<String, Object>> list = new ArrayList<>();
        for (CallSession session : open) {
            list.add(liveSession(session));
        }
        list.sort((a, b) -> String.valueOf(b.get("started_at")).compareTo(String.valueOf(a.get("started_at"))));
        json(rc, 200, Map.of("sessions", list));
    }

    private Map<String, Object> liveSession(CallSession session) {
        Map<String, Object> json = new LinkedHashMap<>(sessions.describe(session));
        json.put("state", session.state().name().toLowerCase());
        json.put("duration_ms", java.time.Duration.between(session.startedAt(), Instant.now()).toMillis());
        json.put("can_pause", session.client().canPause());
        List<Map<String, Object>> channels = new ArrayList<>();
        for (RecognitionChannel channel : session.channels()) {
            ChannelStats stats = channel.stats();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", channel.name());
            c.put("language", channel.language());
            c.put("targets", session.settings().targetsOf(channel.name()));
            c.put("lag_ms", channel.queuedMillis());
            c.put("audio_ms", stats.audioMillis());
            c.put("dropped_ms", channel.format().millisOf(stats.bytesDropped()));
            channels.add(c);
        }
        json.put("channel_health", channels);
        LiveFeed.Health health = feed.health(session.id());
        json.put("warnings", health.warnings());
        json.put("errors", health.errors());
        if (health.lastWarning() != null) {
            json.put("last_warning", health.lastWarning());
        }
        return json;
    }

    private void search(RoutingContext rc) {
        if (index == null) {
            error(rc, 404, "no_archive", "The archive is off (parley.archive.enabled=false): there is nothing to search.");
            return;
        }
        ArchiveIndex.Search search;
        try {
            search = new ArchiveIndex.Search(rc.request().getParam("q"), rc.request().getParam("meta"),
                    date(rc.request().getParam("from"), false), date(rc.request().getParam("to"), true),
                    number(rc.request().getParam("page"), 1), number(rc.request().getParam("size"), 20));
        } catch (IllegalArgumentException e) {
            error(rc, 400, "invalid_search", e.getMessage());
            return;
        }
        Audit.log(rc, "search", "q=" + quoted(search.words()) + " meta=" + quoted(search.metadataValue())
                + " from=" + search.from() + " to=" + search.to() + " page=" + search.page());
        blocking(rc, () -> {
            ArchiveIndex.Page found = index.search(search);
            return Map.of("total", found.total(), "page", found.page(), "size", found.size(),
                    "sessions", found.hits().stream().map(ArchiveIndex.Hit::summary).toList());
        });
    }

    private void reindex(RoutingContext rc) {
        if (index == null) {
            error(rc, 404, "no_archive", "The archive is off (parley.archive.enabled=false): there is nothing to index.");
            return;
        }
        Audit.log(rc, "reindex", "");
        blocking(rc, () -> {
            long t0 = System.nanoTime();
            int count = index.rebuild();
            return Map.of("sessions", count, "took_ms", (System.nanoTime() - t0) / 1_000_000);
        });
    }

    /** A session in progress (its settings and health), or an archived one ({@code call.json} and its files). */
    private void session(RoutingContext rc) {
        String id = rc.pathParam("id");
        Optional<CallSession> open = sessions.openNow().stream().filter(s -> s.id().equals(id)).findFirst();
        if (open.isPresent()) {
            Audit.log(rc, "open_live", "session=" + id);
            json(rc, 200, Map.of("live", true, "session", liveSession(open.get())));
            return;
        }
        if (!id.matches(ID)) {
            error(rc, 404, "not_found", "No such session.");
            return;
        }
        Audit.log(rc, "open_archived", "session=" + id);
        blocking(rc, () -> {
            Path folder = folder(id).orElse(null);
            if (folder == null) {
                return null;
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("live", false);
            json.put("call", JSON.readValue(folder.resolve(SessionArchive.CALL_JSON).toFile(), Map.class));
            try (Stream<Path> files = Files.list(folder)) {
                json.put("files", files.map(f -> f.getFileName().toString())
                        .filter(n -> n.equals(SessionArchive.AUDIO) || n.equals(SessionArchive.TRANSCRIPT) || CAPTIONS.matcher(n).matches())
                        .sorted().collect(Collectors.toList()));
            }
            return json;
        });
    }

    /** An archived session's file: audio (with ranges, so a player can seek), transcript, captions. */
    private void file(RoutingContext rc) {
        String id = rc.pathParam("id");
        String name = rc.pathParam("file");
        boolean text = name.equals("transcript.txt");
        if (!id.matches(ID) || !(text || name.equals(SessionArchive.AUDIO) || name.equals(SessionArchive.TRANSCRIPT)
                || CAPTIONS.matcher(name).matches())) {
            error(rc, 404, "not_found", "No such file; a session has audio.wav, transcript.jsonl, transcript.txt and"
                    + " captions.<lang>.vtt / .srt");
            return;
        }
        boolean download = "1".equals(rc.request().getParam("download"));
        String range = rc.request().getHeader("Range");
        if (download || range == null || range.startsWith("bytes=0-")) { // a player's first request, not each seek
            Audit.log(rc, download ? "download" : "play", "session=" + id + " file=" + name);
        }
        rc.vertx().executeBlocking(() -> folder(id).map(f -> f.resolve(text ? SessionArchive.TRANSCRIPT : name))
                .filter(Files::isRegularFile).orElse(null), false).onComplete(found -> {
            Path path = found.result();
            if (found.failed() || path == null) {
                error(rc, 404, "not_found", "Session " + id + " has no " + name + " in the archive.");
                return;
            }
            HttpServerResponse response = rc.response().putHeader("Cache-Control", "no-store")
                    .putHeader("X-Content-Type-Options", "nosniff");
            if (download) {
                response.putHeader("Content-Disposition", "attachment; filename=\"" + id + "." + name + "\"");
            }
            if (text) {
                blocking(rc, "text/plain; charset=utf-8", () -> plainTranscript(path));
            } else if (name.equals(SessionArchive.AUDIO)) {
                audio(rc, path);
            } else {
                response.putHeader("Content-Type", name.endsWith(".vtt") ? "text/vtt; charset=utf-8"
                        : name.endsWith(".srt") ? "application/x-subrip; charset=utf-8" : "application/x-ndjson; charset=utf-8");
                response.sendFile(path.toString());
            }
        });
    }

    /** The WAV, whole (200) or one byte range of it (206, RFC 9110), as media elements ask to seek. */
    private static void audio(RoutingContext rc, Path path) {
        HttpServerResponse response = rc.response().putHeader("Content-Type", "audio/wav").putHeader("Accept-Ranges", "bytes");
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            rc.fail(e);
            return;
        }
        String range = rc.request().getHeader("Range");
        if (range == null) {
            response.sendFile(path.toString());
            return;
        }
        Matcher m = RANGE.matcher(range.trim());
        long start;
        long end;
        if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
            if (m.group(1).isEmpty()) {
                start = Math.max(0, size - Long.parseLong(m.group(2)));
                end = size - 1;
            } else {
                start = Long.parseLong(m.group(1));
                end = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
            }
        } else {
            start = -1;
            end = -1;
        }
        if (start < 0 || start >= size || end < start) {
            response.setStatusCode(416).putHeader("Content-Range", "bytes */" + size).end();
            return;
        }
        response.setStatusCode(206).putHeader("Content-Range", "bytes " + start + "-" + end + "/" + size)
                .sendFile(path.toString(), start, end - start + 1);
    }

    /** The finals and their translations, one a line: time, channel, language, text. */
    private static String plainTranscript(Path transcript) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : SessionArchive.readTranscript(transcript)) {
            JsonNode event = JSON.readTree(line);
            String type = event.path("type").asText();
            if (type.equals("transcript.final") || type.equals("translation.final")) {
                out.append('[').append(clock(event.path("start_ms").asLong())).append(" - ")
                        .append(clock(event.path("end_ms").asLong())).append("] ")
                        .append(event.path("channel").asText("")).append(' ')
                        .append(type.equals("translation.final") ? "-> " : "").append(event.path("language").asText(""))
                        .append(": ").append(event.path("text").asText("")).append('\n');
            }
        }
        return out.toString();
    }

    private static String clock(long ms) {
        return String.format("%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    }

    /**
     * {@code /api/events}: server-sent events, each one envelope's JSON as {@code data}. {@code session}
     * follows one session (first what was said in it so far, when it is in progress); {@code types}
     * keeps the types listed. The stream ends when the staff member's session does.
     */
    private void events(RoutingContext rc) {
        String session = rc.request().getParam("session");
        Set<String> types;
        try {
            types = types(rc.request().getParam("types"));
        } catch (IllegalArgumentException e) {
            error(rc, 400, "invalid_types", e.getMessage());
            return;
        }
        StaffSessions.Staff member = StaffAuth.staff(rc);
        Audit.log(rc, session == null ? "watch_all" : "watch", session == null ? "" : "session=" + session);
        HttpServerResponse response = rc.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
        response.write(": parley events\n\n");
        io.vertx.core.Context context = rc.vertx().getOrCreateContext();
        LiveFeed.Listener listener = new LiveFeed.Listener() {
            @Override
            public String session() {
                return session;
            }

            @Override
            public boolean wants(String type) {
                return types.isEmpty() || types.contains(type);
            }

            @Override
            public void send(SessionEvent event) {
                String data = "data: " + EventJson.write(event) + "\n\n";
                context.runOnContext(v -> {
                    if (response.closed() || response.ended()) {
                        return;
                    }
                    if (response.writeQueueFull()) {
                        // A reader this far behind would only fall further: it is let go, and reconnects.
                        feed.unsubscribe(this);
                        response.end();
                    } else {
                        response.write(data);
                    }
                });
            }
        };
        long timer = rc.vertx().setPeriodic(KEEP_ALIVE_MS, t -> {
            if (!staff.sessions().active(member.id())) {
                feed.unsubscribe(listener);
                response.end();
            } else if (!response.closed() && !response.ended()) {
                response.write(": keep-alive\n\n");
            }
        });
        response.closeHandler(v -> {
            feed.unsubscribe(listener);
            rc.vertx().cancelTimer(timer);
        });
        response.endHandler(v -> rc.vertx().cancelTimer(timer));
        feed.subscribe(listener);
    }

    private static Set<String> types(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        Set<String> types = Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        for (String type : types) {
            if (!SessionEvent.TYPES.contains(type)) {
                throw new IllegalArgumentException("Unknown event type " + quoted(type) + "; known: "
                        + String.join(", ", new java.util.TreeSet<>(SessionEvent.TYPES)));
            }
        }
        return types;
    }

    /** The archived session's folder: as the index knows it, else found on disk (the index may be rebuilding). */
    private Optional<Path> folder(String id) throws IOException {
        Optional<Path> known = index == null ? Optional.empty() : index.folder(id);
        if (known.isPresent() || !Files.isDirectory(archive.root())) {
            return known;
        }
        Path root = archive.root();
        try (Stream<Path> found = Files.find(root, 4, (p, a) -> a.isDirectory()
                && root.relativize(p).getNameCount() == 4 && p.getFileName().toString().equals(id))) {
            return found.filter(p -> Files.isRegularFile(p.resolve(SessionArchive.CALL_JSON))).findFirst();
        }
    }

    /** A date {@code YYYY-MM-DD} (UTC; a {@code to} date includes its whole day) or an ISO instant. */
    private static Instant date(String value, boolean end) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            if (value.length() == 10) {
                LocalDate day = LocalDate.parse(value);
                return (end ? day.plusDays(1) : day).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("Dates are YYYY-MM-DD (UTC) or ISO instants; got " + quoted(value));
        }
    }

    private static int number(String value, int fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("page and size are whole numbers; got " + quoted(value));
        }
    }

    private static String quoted(String value) {
        return value == null ? "-" : Json.encode(value.length() > 80 ? value.substring(0, 80) + "..." : value);
    }

    private static void blocking(RoutingContext rc, Callable<Object> work) {
        blocking(rc, "application/json", work);
    }

    /** Runs file and index work off the event loop; a null result is a 404. */
    private static void blocking(RoutingContext rc, String contentType, Callable<Object> work) {
        rc.vertx().executeBlocking(work, false).onComplete(done -> {
            if (done.failed()) {
                rc.fail(done.cause());
            } else if (done.result() == null) {
                error(rc, 404, "not_found", "No such session in the archive.");
            } else {
                rc.response().putHeader("Content-Type", contentType).end(done.result() instanceof String s ? s
                        : encode(done.result()));
            }
        });
    }

    private static void json(RoutingContext rc, int status, Object body) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(encode(body));
    }

    private static String encode(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void error(RoutingContext rc, int status, String code, String message) {
        json(rc, status, Map.of("error", Map.of("code", code, "message", message)));
    }

    private static String resource(String name) {
        try (InputStream in = ConsoleApi.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing from the jar: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
