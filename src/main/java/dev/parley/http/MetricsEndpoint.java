package dev.parley.http;

import dev.parley.metrics.MetricsService;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /observe/metrics} ({@code camel.metrics.path}): the Prometheus registry's exposition, on
 * Parley's own port like health. OpenMetrics when the scraper asks for it (Prometheus does), else the
 * Prometheus text format of {@code camel.metrics.textFormatVersion}.
 */
public final class MetricsEndpoint {

    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private MetricsEndpoint() {
    }

    public static void mount(HttpServer server, MetricsService metrics) {
        server.router().get(metrics.getPath()).handler(rc -> scrape(rc, metrics));
    }

    private static void scrape(RoutingContext rc, MetricsService metrics) {
        String accept = rc.request().getHeader("Accept");
        boolean openMetrics = accept != null ? accept.contains("application/openmetrics-text")
                : metrics.getTextFormatVersion().equals("1.0.0");
        String type = openMetrics ? OPENMETRICS : TEXT;
        // Gauges read sessions, queues and the webhook spool: off the event loop.
        rc.vertx().<String>executeBlocking(() -> metrics.prometheus().scrape(type), false)
                .onSuccess(body -> rc.response().putHeader("Content-Type", type).end(body))
                .onFailure(rc::fail);
    }
}
