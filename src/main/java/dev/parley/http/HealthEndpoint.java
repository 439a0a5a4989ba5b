package dev.parley.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Camel's health checks at {@code /observe/health} (all), {@code /ready} and {@code /live}: 200 when
 * every check is up, 503 otherwise, with each check's state and details as JSON.
 */
public final class HealthEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HealthEndpoint() {
    }

    public static void mount(HttpServer server, CamelContext context) {
        server.router().get("/observe/health").handler(rc -> answer(rc, HealthCheckHelper::invoke, context));
        server.router().get("/observe/health/ready").handler(rc -> answer(rc, HealthCheckHelper::invokeReadiness, context));
        server.router().get("/observe/health/live").handler(rc -> answer(rc, HealthCheckHelper::invokeLiveness, context));
    }

    private static void answer(RoutingContext rc, Function<CamelContext, Collection<HealthCheck.Result>> checks,
                               CamelContext context) {
        rc.vertx().<Collection<HealthCheck.Result>>executeBlocking(() -> checks.apply(context), false)
                .onSuccess(results -> {
                    boolean up = results.stream().allMatch(r -> r.getState() == HealthCheck.State.UP);
                    List<Map<String, Object>> list = new ArrayList<>();
                    for (HealthCheck.Result r : results) {
                        Map<String, Object> check = new LinkedHashMap<>();
                        check.put("name", r.getCheck().getId());
                        check.put("status", r.getState().name());
                        r.getMessage().ifPresent(m -> check.put("message", m));
                        Map<String, Object> details = new LinkedHashMap<>();
                        r.getDetails().forEach((k, v) -> {
                            if (v instanceof Number || v instanceof Boolean || v instanceof String) {
                                details.put(k, v);
                            }
                        });
                        check.put("details", details);
                        list.add(check);
                    }
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", up ? "UP" : "DOWN");
                    body.put("checks", list);
                    try {
                        rc.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
                                .end(JSON.writeValueAsString(body));
                    } catch (Exception e) {
                        rc.fail(e);
                    }
                })
                .onFailure(rc::fail);
    }
}
