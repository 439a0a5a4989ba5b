package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
import dev.parley.testing.WebhookReceiver;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A picture of docs/grafana/parley-dashboard.json over a few minutes of live calls, without Grafana (which is not
 * installable here): Parley runs calls while a real Prometheus (Debian's, on loopback) scrapes it every 2 s; then
 * each panel's own query is run with Prometheus's {@code query_range}, drawn as an SVG chart in the panel's place
 * on the dashboard's grid, and Chromium takes the screenshot. The queries and data are real; the drawing is this
 * class's, not Grafana's. Run: {@code ./parley dashboard-snapshot [seconds]}; writes target/dashboard-snapshot/
 * and docs/grafana/dashboard-snapshot.png. {@code ./parley dashboard-snapshot render START END} (epoch seconds,
 * printed by a run) draws it again from that run's Prometheus data.
 */
public final class DashboardSnapshot {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path OUT = Path.of("target/dashboard-snapshot");
    private static final String[] COLORS = {"#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#f2495c", "#b877d9", "#8ab8ff", "#fade2a"};
    private static final int WIDTH = 1600;
    private static final int ROW_PX = 30;
    /** Room above a chart for its top axis label. */
    private static final int TOP = 8;

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("render")) {
            // Draws again from the Prometheus data of an earlier run, kept in target/dashboard-snapshot/tsdb.
            Process prometheus = null;
            try {
                int promPort = freePort();
                prometheus = startPrometheus(0, promPort, false);
                render(promPort, Instant.ofEpochSecond(Long.parseLong(args[1])), Instant.ofEpochSecond(Long.parseLong(args[2])));
            } finally {
                if (prometheus != null) {
                    prometheus.destroy();
                    prometheus.waitFor(10, TimeUnit.SECONDS);
                }
            }
            screenshot(OUT.resolve("dashboard.html"), Path.of("docs/grafana/dashboard-snapshot.png"));
            return;
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 150;
        Files.createDirectories(OUT);
        int hookPort = WebhookReceiver.freePort();
        Map<String, String> settings = Map.of(
                "parley.webhooks.urls", WebhookReceiver.url(hookPort),
                "parley.webhooks.secret", WebhookReceiver.SECRET,
                "parley.webhooks.initial-backoff-ms", "500", "parley.webhooks.max-backoff-ms", "5000",
                "parley.recognizer.pocketsphinx.warm-decoders", "4",
                "parley.recognizer.pocketsphinx.pool-size", "4");
        Instant start;
        Instant end;
        Process prometheus = null;
        try (ParleyServer parley = ParleyServer.start(settings)) {
            int promPort = freePort();
            prometheus = startPrometheus(parley.port(), promPort, true);
            start = Instant.now();
            ExecutorService callers = Executors.newFixedThreadPool(4);
            List<Future<?>> calls = new ArrayList<>();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int c = 0; c < 3; c++) {
                int caller = c;
                calls.add(callers.submit(() -> {
                    Thread.sleep(caller * 7000L);
                    while (System.nanoTime() < until) {
                        call(parley, caller, true);
                    }
                    return null;
                }));
            }
            // One client sends faster than real time half-way: its channel falls behind and drops audio. Before
            // that, one comes with a token that is not Parley's and is refused.
            calls.add(callers.submit(() -> {
                Thread.sleep(seconds * 400L);
                try (ListenClient refused = ListenClient.connect(parley.wsWithoutToken("/v1/listen?token=forged"))) {
                    refused.awaitClose(Duration.ofSeconds(10));
                }
                Thread.sleep(seconds * 100L);
                call(parley, 3, false);
                return null;
            }));
            // A receiver down for the first third, then up: pending deliveries, failed attempts, then delivered.
            Thread.sleep(seconds * 1000L / 3);
            try (WebhookReceiver receiver = new WebhookReceiver(hookPort)) {
                for (Future<?> call : calls) {
                    call.get();
                }
                callers.shutdown();
                Thread.sleep(15_000);
                end = Instant.now();
                render(promPort, start, end);
            }
        } finally {
            if (prometheus != null) {
                prometheus.destroy();
                prometheus.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Path png = Path.of("docs/grafana/dashboard-snapshot.png");
        screenshot(OUT.resolve("dashboard.html"), png);
        System.out.println("Wrote " + OUT.resolve("dashboard.html") + " and " + png + " (" + Duration.between(start, end).toSeconds()
                + " s of calls; draw again with: render " + start.getEpochSecond() + " " + end.getEpochSecond() + ")");
    }

    /** One person reading two recordings in a row, with a pause after each, at real-time pace or as fast as it can. */
    private static void call(ParleyServer parley, int caller, boolean realTime) throws Exception {
        try (ListenClient client = ListenClient.connect(parley.ws("/v1/listen?rate=16000&targets=es&meta.caller=" + caller))) {
            List<LibriVox.Recording> recordings = LibriVox.recordings();
            for (int i = 0; i < 2; i++) {
                LibriVox.Recording recording = recordings.get((caller + i) % recordings.size());
                client.stream(recording.at(16000).pcm(), 640, 32000, realTime);
                client.stream(WavFile.quiet(16000, 1500), 640, 32000, realTime);
            }
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(120));
        }
    }

    private static Process startPrometheus(int parleyPort, int port, boolean fresh) throws Exception {
        Path config = OUT.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\n"
                + "rule_files: [" + Path.of("docs/prometheus/parley-alerts.yml").toAbsolutePath() + "]\n"
                + "scrape_configs:\n  - job_name: parley\n    metrics_path: /observe/metrics\n"
                + "    static_configs:\n      - targets: ['127.0.0.1:" + parleyPort + "']\n");
        Path data = OUT.resolve("tsdb");
        if (fresh) {
            deleteTree(data);
        }
        Process process = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(OUT.resolve("prometheus.log").toFile()).start();
        for (int i = 0; i < 100; i++) {
            try {
                if (get(port, "/-/ready").statusCode() == 200) {
                    return process;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Prometheus did not start; see " + OUT.resolve("prometheus.log"));
    }

    /** The dashboard as HTML: each panel's queries over [start, end], drawn on the dashboard's own grid. */
    private static void render(int promPort, Instant start, Instant end) throws Exception {
        JsonNode dashboard = JSON.readTree(Path.of("docs/grafana/parley-dashboard.json").toFile());
        StringBuilder html = new StringBuilder();
        int bottom = 0;
        StringBuilder body = new StringBuilder();
        for (JsonNode panel : dashboard.path("panels")) {
            JsonNode grid = panel.path("gridPos");
            int x = grid.path("x").asInt() * WIDTH / 24;
            int y = grid.path("y").asInt() * ROW_PX + 70;
            int w = grid.path("w").asInt() * WIDTH / 24;
            int h = grid.path("h").asInt() * ROW_PX;
            bottom = Math.max(bottom, y + h);
            if (panel.path("type").asText().equals("row")) {
                body.append(String.format("<div class=row style='left:%dpx;top:%dpx;width:%dpx'>%s</div>%n", x, y, w,
                        escape(panel.path("title").asText())));
                continue;
            }
            List<Series> series = new ArrayList<>();
            for (JsonNode target : panel.path("targets")) {
                series.addAll(queryRange(promPort, target, start, end));
            }
            String unit = panel.path("fieldConfig").path("defaults").path("unit").asText("none");
            String content = panel.path("type").asText().equals("stat") ? stat(series, unit)
                    : chart(series, unit, w - 16, h - 34, start, end);
            body.append(String.format("<div class=panel style='left:%dpx;top:%dpx;width:%dpx;height:%dpx'>"
                    + "<div class=title>%s</div>%s</div>%n", x + 4, y + 4, w - 8, h - 8, escape(panel.path("title").asText()), content));
        }
        html.append("<!doctype html><meta charset=utf-8><style>body{margin:0;background:#111217;color:#ccccdc;"
                + "font:12px sans-serif;width:").append(WIDTH).append("px;height:").append(bottom + 10).append("px;position:relative}")
                .append(".panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px;overflow:hidden}")
                .append(".title{font-weight:600;padding:6px 8px 2px}.row{position:absolute;font-size:15px;font-weight:600;padding-top:6px}")
                .append(".banner{position:absolute;left:8px;top:6px;right:8px}.banner b{font-size:18px;color:#fff}")
                .append(".stat{font-size:64px;text-align:center;margin-top:20px}.legend span{margin-right:10px;white-space:nowrap}")
                .append("</style>\n<div class=banner><b>Parley</b> &nbsp; docs/grafana/parley-dashboard.json, ")
                .append(Duration.between(start, end).toSeconds()).append(" s of live calls, ").append(start).append(" to ").append(end)
                .append("<br>Not Grafana: each panel's own PromQL run by a real Prometheus (query_range, step 2 s, "
                        + "$__rate_interval = 10s) against a real Parley, drawn by dev.parley.bench.DashboardSnapshot.</div>\n")
                .append(body);
        Files.writeString(OUT.resolve("dashboard.html"), html);
    }

    record Series(String label, List<double[]> points) {
    }

    private static List<Series> queryRange(int port, JsonNode target, Instant start, Instant end) throws Exception {
        String expr = target.path("expr").asText().replace("$instance", ".*").replace("$__rate_interval", "10s");
        String query = "/api/v1/query_range?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)
                + "&start=" + start.getEpochSecond() + "&end=" + end.getEpochSecond() + "&step=2";
        JsonNode answer = JSON.readTree(get(port, query).body());
        if (!answer.path("status").asText().equals("success")) {
            throw new IllegalStateException("Prometheus refused " + expr + ": " + answer);
        }
        List<Series> out = new ArrayList<>();
        for (JsonNode result : answer.path("data").path("result")) {
            String label = target.path("legendFormat").asText();
            var names = result.path("metric").fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                label = label.replace("{{" + name + "}}", result.path("metric").path(name).asText());
            }
            List<double[]> points = new ArrayList<>();
            for (JsonNode value : result.path("values")) {
                double v = Double.parseDouble(value.get(1).asText());
                if (Double.isFinite(v)) {
                    points.add(new double[]{value.get(0).asDouble(), v});
                }
            }
            out.add(new Series(label.replaceAll("\\{\\{[^}]*}}", "").trim(), points));
        }
        return out;
    }

    private static String chart(List<Series> series, String unit, int w, int h, Instant start, Instant end) {
        int legendRows = Math.min(3, (series.size() + 3) / 4);
        int plotH = h - 18 - TOP - legendRows * 15;
        int left = 56;
        double max = 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                max = Math.max(max, p[1]);
            }
        }
        max = max <= 0 ? 1 : max * 1.1;
        double t0 = start.getEpochSecond();
        double span = Math.max(1, end.getEpochSecond() - t0);
        StringBuilder svg = new StringBuilder(String.format("<svg width='%d' height='%d' style='display:block;margin-left:8px'>",
                w, TOP + plotH + 18));
        for (int i = 0; i <= 4; i++) {
            int y = TOP + plotH - i * plotH / 4;
            svg.append(String.format("<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#2c3235'/><text x='%d' y='%d' "
                    + "fill='#8e8e8e' font-size='10' text-anchor='end'>%s</text>", left, w, y, y, left - 4, y + 3,
                    format(max * i / 4, unit)));
        }
        for (int i = 0; i <= 4; i++) {
            int x = left + i * (w - left) / 4;
            svg.append(String.format("<text x='%d' y='%d' fill='#8e8e8e' font-size='10' text-anchor='%s'>%s</text>", x,
                    TOP + plotH + 14, i == 0 ? "start" : i == 4 ? "end" : "middle",
                    Instant.ofEpochSecond((long) (t0 + span * i / 4)).toString().substring(11, 19)));
        }
        for (int i = 0; i < series.size(); i++) {
            StringBuilder path = new StringBuilder();
            for (double[] p : series.get(i).points()) {
                path.append(path.length() == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f,%.1f",
                        left + (p[0] - t0) / span * (w - left), TOP + plotH - p[1] / max * plotH));
            }
            svg.append(String.format("<path d='%s' fill='none' stroke='%s' stroke-width='1.5'/>", path, COLORS[i % COLORS.length]));
        }
        svg.append("</svg><div class=legend style='padding:0 8px'>");
        for (int i = 0; i < series.size() && i < legendRows * 4; i++) {
            svg.append(String.format("<span><b style='color:%s'>&#9644;</b> %s</span>", COLORS[i % COLORS.length],
                    escape(series.get(i).label())));
        }
        if (series.isEmpty()) {
            svg.append("<span>no data</span>");
        }
        return svg.append("</div>").toString();
    }

    private static String stat(List<Series> series, String unit) {
        double total = 0;
        for (Series s : series) {
            if (!s.points().isEmpty()) {
                total += s.points().get(s.points().size() - 1)[1];
            }
        }
        return String.format("<div class=stat style='color:%s'>%s</div>", total > 0 ? "#f2495c" : "#73bf69", format(total, unit));
    }

    private static String format(double v, String unit) {
        return switch (unit) {
            case "s" -> v >= 1 || v == 0 ? String.format(Locale.ROOT, "%.1f s", v) : String.format(Locale.ROOT, "%.0f ms", v * 1000);
            case "bytes" -> String.format(Locale.ROOT, "%.0f MB", v / 1e6);
            case "percentunit" -> String.format(Locale.ROOT, "%.0f%%", v * 100);
            case "ops" -> String.format(Locale.ROOT, "%.2f/s", v);
            default -> v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
        };
    }

    /** Chromium's own screenshot of the page, with the flags the browser tests use (no network at start). */
    private static void screenshot(Path html, Path png) throws Exception {
        String page = Files.readString(html);
        int height = Integer.parseInt(page.replaceAll("(?s).*?height:(\\d+)px.*", "$1"));
        Path profile = Files.createTempDirectory(OUT, "chromium");
        Process chromium = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--hide-scrollbars", "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=" + WIDTH + "," + height, "--screenshot=" + png.toAbsolutePath(),
                html.toAbsolutePath().toUri().toString())
                .redirectErrorStream(true).redirectOutput(OUT.resolve("chromium.log").toFile()).start();
        if (!chromium.waitFor(60, TimeUnit.SECONDS) || !Files.exists(png)) {
            chromium.destroyForcibly();
            throw new IllegalStateException("Chromium did not take the screenshot; see " + OUT.resolve("chromium.log"));
        }
        deleteTree(profile);
    }

    private static HttpResponse<String> get(int port, String pathAndQuery) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (var paths = Files.walk(root)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
