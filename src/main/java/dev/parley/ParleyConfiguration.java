package dev.parley;

import dev.parley.http.HealthEndpoint;
import dev.parley.http.HttpServer;
import dev.parley.ingest.ListenComponent;
import dev.parley.realtime.RealtimeComponent;
import dev.parley.realtime.Recognizer;
import dev.parley.realtime.Recognizers;
import dev.parley.session.SessionComponent;
import dev.parley.session.SessionLimits;
import dev.parley.session.SessionRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;

/**
 * Builds Parley's parts from its settings and registers them as the Camel components that the
 * routes name: {@code listen}, {@code realtime} and {@code session}.
 */
public final class ParleyConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Config config = new Config(key -> context.getPropertiesComponent().resolveProperty(key).orElse(null));

        Recognizer recognizer = Recognizers.create(config);
        SessionLimits limits = new SessionLimits(
                config.integer("parley.session.max-sessions", 100, 1, 100_000),
                config.millis("parley.session.max-queued-audio-ms", 3000, 100, 600_000),
                config.seconds("parley.session.idle-timeout-s", 30, 1, 86_400),
                config.seconds("parley.session.max-duration-s", 14_400, 1, 604_800),
                config.seconds("parley.session.level-warning-s", 5, 1, 3600));
        int workers = config.integer("parley.recognizer.threads", Runtime.getRuntime().availableProcessors(), 1, 256);
        SessionRegistry sessions = new SessionRegistry(recognizer, limits, workers);
        context.addService(sessions, true, true);

        HttpServer http = new HttpServer(config.string("parley.host", "0.0.0.0"),
                config.integer("parley.port", 8080, 0, 65535), 1 << 20);
        context.addService(http, true, true);
        context.getRegistry().bind("parleyHttpServer", http);
        HealthEndpoint.mount(http, context);

        context.addComponent("listen", new ListenComponent(http, sessions, config.string("parley.listen.default-source", "en")));
        context.addComponent("realtime", new RealtimeComponent());
        context.addComponent("session", new SessionComponent(sessions));

        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new RecognizerReadiness(recognizer));
        }
    }
}
