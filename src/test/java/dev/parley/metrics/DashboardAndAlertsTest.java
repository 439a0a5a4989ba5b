package dev.parley.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.testing.NodeClients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example alert rules and the Grafana dashboard in docs/: promtool accepts the rules and their unit tests
 * pass, and every query of the dashboard is PromQL that promtool parses. (MetricsTest checks that the metrics
 * they name are served.)
 */
class DashboardAndAlertsTest {

    static final Path DASHBOARD = Path.of("docs/grafana/parley-dashboard.json");
    static final Path ALERTS = Path.of("docs/prometheus/parley-alerts.yml");
    private static final Pattern METRIC = Pattern.compile("\\b((?:parley|camel|jvm|process|system)_[a-z0-9_]+)");

    @TempDir
    Path dir;

    @Test
    void theAlertRulesAreValidAndTheirUnitTestsPass() throws Exception {
        Result check = promtool(Path.of("."), "check", "rules", ALERTS.toString());
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("SUCCESS: 8 rules found"), check.output());
        Result tests = promtool(ALERTS.getParent(), "test", "rules", "parley-alerts.test.yml");
        assertEquals(0, tests.exitCode(), tests.output());
    }

    /**
     * The dashboard is what Grafana's own schema describes: its JSON, as a TypeScript value of the Dashboard
     * type of Grafana's @grafana/schema package (pinned in src/test/node), passes tsc --strict, so an unknown
     * or misspelt field, a value of the wrong type or an unknown enum value fails. (No Grafana runs here:
     * it is in neither Debian 12, Maven Central nor the npm registry.)
     */
    @Test
    void theDashboardIsAValidGrafanaDashboardByGrafanasOwnSchema() throws Exception {
        Files.createSymbolicLink(dir.resolve("node_modules"), NodeClients.FOLDER.resolve("node_modules"));
        Path check = dir.resolve("dashboard.ts");
        Files.writeString(check, """
                import type { Dashboard } from '@grafana/schema';
                // The schema's enums (ThresholdsMode, ...) as the values a JSON file holds.
                type AsJson<T> = T extends string ? (string extends T ? string : `${T}`) : T extends number ? number
                  : T extends Array<infer U> ? Array<AsJson<U>> : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T;
                export const dashboard: AsJson<Dashboard> =
                """ + Files.readString(DASHBOARD) + ";\n");
        NodeClients.Run tsc = NodeClients.bin("tsc", List.of("--strict", "--noEmit", "--skipLibCheck", "--target", "es2022",
                "--module", "esnext", "--moduleResolution", "bundler", check.toString()), java.time.Duration.ofSeconds(120));
        assertEquals(0, tsc.exitCode(), tsc.output());
    }

    @Test
    void everyDashboardQueryParsesAsPromQl() throws Exception {
        List<String> queries = dashboardQueries();
        assertTrue(queries.size() >= 30, "queries: " + queries.size());
        // promtool parses the expressions of a rules file: each query becomes a recording rule.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < queries.size(); i++) {
            rules.append("      - record: dashboard_query_").append(i).append("\n        expr: '")
                    .append(queries.get(i).replace("'", "''")).append("'\n");
        }
        Path file = dir.resolve("dashboard-rules.yml");
        Files.writeString(file, rules);
        Result check = promtool(Path.of("."), "check", "rules", file.toString());
        assertEquals(0, check.exitCode(), check.output());
    }

    @Test
    void theDashboardIsOneGridOfPanelsOnTheDatasourceVariable() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertTrue(ids.add(panel.path("id").asInt()), "unique id: " + panel.path("title"));
            JsonNode grid = panel.path("gridPos");
            assertTrue(grid.path("x").asInt() + grid.path("w").asInt() <= 24, "within 24 columns: " + panel.path("title"));
            if (!panel.path("type").asText().equals("row")) {
                assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), panel.path("title").asText());
                assertFalse(panel.path("description").asText().isEmpty(), "described: " + panel.path("title"));
            }
        }
    }

    /** Every query of the dashboard as Prometheus evaluates it: Grafana's variables replaced as "All" and a 1m window. */
    static List<String> dashboardQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(resolve(target.path("expr").asText(), "1m"));
            }
        }
        return queries;
    }

    static String resolve(String expr, String rateInterval) {
        return expr.replace("$instance", ".*").replace("$__rate_interval", rateInterval);
    }

    /** The metric names the dashboard and the alert rules read (Prometheus's own {@code up} aside). */
    static Set<String> metricsNamed() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String text : List.of(Files.readString(DASHBOARD), Files.readString(ALERTS))) {
            Matcher m = METRIC.matcher(text);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    record Result(int exitCode, String output) {
    }

    static Result promtool(Path workingDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish");
        }
        return new Result(process.exitValue(), output);
    }
}
