package dev.parley.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** The self-contained HTML report: tables and inline SVG plots, no script, no external file. */
final class Report {

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

    record Series(String name, List<double[]> points) { }

    private Report() {
    }

    static String html(Map<String, Object> setup, List<Step> steps, long boundMs) {
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>Parley benchmark</title><style>
                body{font:14px sans-serif;margin:24px} table{border-collapse:collapse;margin:8px 0;font-size:12px}
                td,th{border:1px solid #ccc;padding:3px 6px;text-align:right} th{background:#f3f3f3}
                td.l,th.l{text-align:left} .pass{color:#080;font-weight:bold} .fail{color:#b00;font-weight:bold}
                svg{margin:6px 12px 6px 0;background:#fff} .charts{display:flex;flex-wrap:wrap} pre{background:#f7f7f7;padding:8px;white-space:pre-wrap}
                </style></head><body><h1>Parley benchmark</h1>
                """);
        h.append("<h2>Setup</h2><table>");
        setup.forEach((k, v) -> {
            if (!k.equals("speech_segments_ms")) {
                h.append("<tr><th class=l>").append(esc(k)).append("</th><td class=l>").append(esc(String.valueOf(v))).append("</td></tr>");
            }
        });
        h.append("</table>");
        h.append("<h2>Results</h2><table><tr><th>N</th><th>result</th>");
        for (String s : Analysis.STAGES) {
            h.append("<th>").append(esc(s)).append("<br>n / p50 / p95 / p99 ms</th>");
        }
        h.append("<th>server CPU %<br>mean / max</th><th>server RSS MB<br>JVM / tree</th><th>load gen CPU %</th><th>machine CPU %</th>"
                + "<th>dropped / missing B</th><th>max lag ms</th><th>WER</th></tr>");
        for (Step s : steps) {
            h.append("<tr><td>").append(s.sessions).append("</td><td class=l><span class=").append(s.pass ? "pass>PASS" : "fail>FAIL")
                    .append("</span> ").append(esc(String.join("; ", s.why))).append("</td>");
            for (String st : Analysis.STAGES) {
                List<Long> v = s.latencies.get(st);
                h.append("<td>").append(v.isEmpty() ? "-" : v.size() + " / " + Step.percentile(v, 50) + " / "
                        + Step.percentile(v, 95) + " / " + Step.percentile(v, 99)).append("</td>");
            }
            h.append(String.format("<td>%.0f / %.0f</td><td>%.0f / %.0f</td><td>%.0f</td><td>%.0f</td><td>%d / %d / %d</td><td>%d</td><td>%s</td></tr>",
                    s.mean(ProcStats.Sample::serverCpu), s.max(ProcStats.Sample::serverCpu), s.max(ProcStats.Sample::serverRssMb),
                    s.max(ProcStats.Sample::treeRssMb), s.mean(ProcStats.Sample::loadgenCpu), s.mean(ProcStats.Sample::machineCpu),
                    s.droppedBytes, s.missingAtRecognizer, s.missingFromWav, s.maxLagMs,
                    Double.isNaN(s.wer) ? "-" : String.format("%.3f", s.wer)));
        }
        h.append("</table><p>CPU in percent of one core (").append(ProcStats.CORES).append(" cores = ")
                .append(100 * ProcStats.CORES).append("%). Dropped / missing: bytes Parley reported dropped (overloaded)"
                + " / sent but not received by the recognizer / sent but absent from audio.wav.</p>");

        List<Step> sorted = new ArrayList<>(steps);
        sorted.sort((a, b) -> Integer.compare(a.sessions, b.sessions));
        if (sorted.size() > 1) {
            h.append("<h2>Against concurrency</h2><div class=charts>");
            List<Series> lat = new ArrayList<>();
            for (String st : List.of(Analysis.FINAL, Analysis.TRANSLATION)) {
                for (int p : new int[] {50, 95}) {
                    List<double[]> pts = new ArrayList<>();
                    for (Step s : sorted) {
                        long v = Step.percentile(s.latencies.get(st), p);
                        if (v >= 0) {
                            pts.add(new double[] {s.sessions, v});
                        }
                    }
                    lat.add(new Series(st + " p" + p, pts));
                }
            }
            h.append(chart("Latency against sessions", "sessions", "ms", lat, boundMs, true));
            List<Series> cpu = new ArrayList<>();
            cpu.add(new Series("server CPU %", pts(sorted, s -> s.mean(ProcStats.Sample::serverCpu))));
            cpu.add(new Series("load generator CPU %", pts(sorted, s -> s.mean(ProcStats.Sample::loadgenCpu))));
            cpu.add(new Series("machine CPU %", pts(sorted, s -> s.mean(ProcStats.Sample::machineCpu))));
            h.append(chart("CPU against sessions", "sessions", "% of one core", cpu, 100.0 * ProcStats.CORES, true));
            h.append(chart("Server memory against sessions", "sessions", "MB", List.of(
                    new Series("JVM RSS", pts(sorted, s -> s.max(ProcStats.Sample::serverRssMb))),
                    new Series("process tree RSS", pts(sorted, s -> s.max(ProcStats.Sample::treeRssMb)))), -1, true));
            h.append("</div>");
        }
        h.append("<h2>Per step</h2>");
        for (Step s : steps) {
            h.append("<h3>N = ").append(s.sessions).append("</h3><div class=charts>");
            List<Series> cdf = new ArrayList<>();
            for (String st : Analysis.STAGES) {
                List<Long> v = new ArrayList<>(s.latencies.get(st));
                if (v.isEmpty()) {
                    continue;
                }
                Collections.sort(v);
                List<double[]> pts = new ArrayList<>();
                for (int i = 0; i < v.size(); i++) {
                    pts.add(new double[] {v.get(i), 100.0 * i / v.size()});
                    pts.add(new double[] {v.get(i), 100.0 * (i + 1) / v.size()});
                }
                cdf.add(new Series(st + " (n=" + v.size() + ")", pts));
            }
            if (!cdf.isEmpty()) {
                h.append(chart("Latency distribution (CDF)", "ms", "% of utterances", cdf, -1, false));
            }
            List<Series> t = new ArrayList<>();
            t.add(new Series("server CPU %", s.samples.stream().map(x -> new double[] {x.t(), x.serverCpu()}).toList()));
            t.add(new Series("load generator CPU %", s.samples.stream().map(x -> new double[] {x.t(), x.loadgenCpu()}).toList()));
            t.add(new Series("machine CPU %", s.samples.stream().map(x -> new double[] {x.t(), x.machineCpu()}).toList()));
            h.append(chart("CPU over the step", "seconds", "% of one core", t, 100.0 * ProcStats.CORES, false));
            h.append("</div>");
            if (!s.failures.isEmpty()) {
                h.append("<pre>").append(esc(String.join("\n", s.failures))).append("</pre>");
            }
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static List<double[]> pts(List<Step> steps, java.util.function.ToDoubleFunction<Step> f) {
        return steps.stream().map(s -> new double[] {s.sessions, f.applyAsDouble(s)}).filter(p -> !Double.isNaN(p[1])).toList();
    }

    /** A line chart; {@code hline} >= 0 draws a dashed reference line (a bound). */
    static String chart(String title, String xLabel, String yLabel, List<Series> series, double hline, boolean markers) {
        int w = 520, hgt = 320, l = 60, r = 16, t = 30, bm = 90;
        double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymax = hline > 0 ? hline * 1.05 : 0;
        for (Series s : series) {
            for (double[] p : s.points()) {
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                ymax = Math.max(ymax, p[1]);
            }
        }
        if (xmin == Double.MAX_VALUE) {
            xmin = 0;
            xmax = 1;
        }
        if (xmin > 0 && !markers) {
            xmin = 0;
        }
        if (xmax <= xmin) {
            xmax = xmin + 1;
        }
        if (!markers && xmin == 0) {
            xmax = nice(xmax);
        }
        ymax = nice(ymax <= 0 ? 1 : ymax);
        double x0 = xmin, x1 = xmax, y1 = ymax;
        int pw = w - l - r, ph = hgt - t - bm;
        java.util.function.DoubleUnaryOperator X = x -> l + (x - x0) / (x1 - x0) * pw;
        java.util.function.DoubleUnaryOperator Y = y -> t + ph - y / y1 * ph;
        StringBuilder s = new StringBuilder();
        s.append(String.format("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-size='11'>", w, hgt));
        s.append(String.format("<text x='%d' y='18' font-size='13' font-weight='bold'>%s</text>", l, esc(title)));
        for (int i = 0; i <= 5; i++) {
            double yv = y1 * i / 5;
            double yy = Y.applyAsDouble(yv);
            s.append(String.format("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#eee'/>", l, l + pw, yy, yy));
            s.append(String.format("<text x='%d' y='%.1f' text-anchor='end'>%s</text>", l - 4, yy + 4, fmt(yv)));
            double xv = x0 + (x1 - x0) * i / 5;
            double xx = X.applyAsDouble(xv);
            s.append(String.format("<text x='%.1f' y='%d' text-anchor='middle'>%s</text>", xx, t + ph + 14, fmt(xv)));
        }
        s.append(String.format("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>", l, t, pw, ph));
        s.append(String.format("<text x='%d' y='%d' text-anchor='middle'>%s</text>", l + pw / 2, t + ph + 30, esc(xLabel)));
        s.append(String.format("<text transform='translate(14,%d) rotate(-90)' text-anchor='middle'>%s</text>", t + ph / 2, esc(yLabel)));
        if (hline > 0) {
            double yy = Y.applyAsDouble(hline);
            s.append(String.format("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#b00' stroke-dasharray='5,4'/>", l, l + pw, yy, yy));
        }
        int legend = 0;
        for (int i = 0; i < series.size(); i++) {
            Series se = series.get(i);
            String c = COLORS[i % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (double[] p : se.points()) {
                path.append(String.format("%.1f,%.1f ", X.applyAsDouble(p[0]), Y.applyAsDouble(Math.min(p[1], y1))));
            }
            s.append(String.format("<polyline fill='none' stroke='%s' stroke-width='1.8' points='%s'/>", c, path.toString().trim()));
            if (markers) {
                for (double[] p : se.points()) {
                    s.append(String.format("<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>", X.applyAsDouble(p[0]),
                            Y.applyAsDouble(Math.min(p[1], y1)), c));
                }
            }
            int ly = t + ph + 46 + 14 * (legend / 2);
            int lx = l + (legend % 2) * 230;
            s.append(String.format("<rect x='%d' y='%d' width='12' height='3' fill='%s'/><text x='%d' y='%d'>%s</text>",
                    lx, ly - 4, c, lx + 16, ly, esc(se.name())));
            legend++;
        }
        return s.append("</svg>").toString();
    }

    private static double nice(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmt(double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9 ? Long.toString(Math.round(v)) : String.format("%.1f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }
}
