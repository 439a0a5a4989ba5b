package dev.parley;

import dev.parley.archive.ArchiveComponent;
import dev.parley.archive.ArchiveIndex;
import dev.parley.console.ConsoleApi;
import dev.parley.console.ConsoleComponent;
import dev.parley.console.LiveFeed;
import dev.parley.archive.OpenSessions;
import dev.parley.archive.TranscriptArchive;
import dev.parley.privacy.Erasure;
import dev.parley.privacy.RedactionSettings;
import dev.parley.privacy.Retention;
import dev.parley.http.HealthEndpoint;
import dev.parley.http.ErasureEndpoint;
import dev.parley.http.HttpServer;
import dev.parley.http.LanguagesEndpoint;
import dev.parley.http.MetricsEndpoint;
import dev.parley.http.SessionControlEndpoint;
import dev.parley.http.TlsCertificateCheck;
import dev.parley.http.TlsReloader;
import dev.parley.http.TlsSettings;
import dev.parley.http.WebPage;
import dev.parley.http.WebhookReplayEndpoint;
import dev.parley.ingest.ListenComponent;
import dev.parley.ingest.openai.ClientSecretsEndpoint;
import dev.parley.ingest.openai.TranscriptionComponent;
import dev.parley.metrics.MetricsService;
import dev.parley.metrics.ParleyMeters;
import dev.parley.realtime.RealtimeComponent;
import dev.parley.realtime.Recognizer;
import dev.parley.realtime.Recognizers;
import dev.parley.security.AnonymousConnections;
import dev.parley.security.AuthSettings;
import dev.parley.security.RateLimiter;
import dev.parley.security.SigningKeys;
import dev.parley.security.StaffAuth;
import dev.parley.security.StaffKeys;
import dev.parley.security.StaffSessions;
import dev.parley.security.TokenEndpoint;
import dev.parley.security.TokenService;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.EventConverters;
import dev.parley.session.EventsComponent;
import dev.parley.session.SessionComponent;
import dev.parley.session.SessionLimits;
import dev.parley.session.SessionRegistry;
import dev.parley.translate.TranslateComponent;
import dev.parley.translate.Translator;
import dev.parley.translate.Translators;
import dev.parley.tts.SpeakComponent;
import dev.parley.tts.Synthesizer;
import dev.parley.tts.Synthesizers;
import dev.parley.webhook.WebhookComponent;
import dev.parley.webhook.WebhookDispatcher;
import dev.parley.webhook.WebhookSettings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.ShutdownStrategy;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds Parley's parts from its settings and registers them as the Camel components that the
 * routes name: {@code listen}, {@code openai-realtime}, {@code twilio}, {@code audiohook}, {@code realtime},
 * {@code parley} (the event stream), {@code session}, {@code translate}, {@code tts}, {@code archive}, {@code webhook}
 * and {@code console} (the supervisors' live feed).
 */
public final class ParleyConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Config config = new Config(key -> context.getPropertiesComponent().resolveProperty(key).orElse(null));
        MetricsService metrics = MetricsService.of(context);
        ParleyMeters meters = new ParleyMeters(metrics.registry());
        // First, so that a bad certificate stops start-up before decoders are built.
        TlsSettings tlsSettings = TlsSettings.fromProperties(config.lookup());
        TlsReloader tls = tlsSettings == null ? null : TlsReloader.read(tlsSettings, Clock.systemUTC());

        Recognizer recognizer = Recognizers.create(config);
        Translator translator = Translators.create(config.lookup());
        Synthesizer synthesizer = Synthesizers.create(config.lookup());
        context.addService(closing(translator::close, synthesizer::close), true, true);
        boolean translation = config.bool("parley.translation.enabled", true);

        int maxSessions = config.integer("parley.session.max-sessions", 100, 1, 100_000);
        SessionLimits limits = new SessionLimits(maxSessions,
                config.integer("parley.session.reserved-for-trusted", maxSessions / 10, 0, maxSessions),
                config.millis("parley.session.max-queued-audio-ms", 3000, 100, 600_000),
                config.millis("parley.session.max-ahead-ms", 2000, 100, 3_600_000),
                config.seconds("parley.session.idle-timeout-s", 30, 1, 86_400),
                config.seconds("parley.session.max-duration-s", 14_400, 1, 604_800),
                config.seconds("parley.session.level-warning-s", 5, 1, 3600));
        int workers = config.integer("parley.recognizer.threads", Runtime.getRuntime().availableProcessors(), 1, 256);

        // The archive, and the sessions a crash of an earlier Parley left open in it, listed before
        // this one takes any session; they are closed once the routes run (CrashRecovery).
        boolean fsync = config.bool("parley.fsync", false);
        boolean archiving = config.bool("parley.archive.enabled", true);
        TranscriptArchive archive = new TranscriptArchive(Path.of(config.string("parley.archive.dir", "archive")), fsync);
        OpenSessions openSessions = new OpenSessions(archive.root(), fsync);
        List<OpenSessions.LeftOpen> leftOpen = archiving ? openSessions.start() : List.of();
        context.addService(closing(openSessions::stop), true, true); // stops after the sessions
        // The console's search over the archive: a cache of it, kept with Parley's state.
        ArchiveIndex index = archiving ? new ArchiveIndex(archive,
                Path.of(config.string("parley.state.dir", "state")).resolve("archive-index")) : null;
        if (index != null) {
            context.addService(closing(index::close), true, true); // stops after the event routes
        }
        SessionRegistry sessions = new SessionRegistry(recognizer,
                source -> translation ? translator.pairs().getOrDefault(source, Set.of()) : Set.of(),
                Map.of("recognizer", recognizer.name(), "translator", translator.name(), "tts", synthesizer.name()),
                limits, workers, meters);
        context.addService(sessions, true, true);
        sessions.redaction(RedactionSettings.fromProperties(config.lookup()));
        sessions.onClosedRecorded(openSessions::closed);

        HttpServer http = new HttpServer(config.string("parley.host", "0.0.0.0"),
                config.integer("parley.port", 8080, 0, 65535),
                config.integer("parley.websocket.max-message-bytes", 1 << 20, 64 * 1024, 64 << 20),
                config.bool("parley.http.h2c", false), tls);
        context.addService(http, true, true);
        HealthEndpoint.mount(http, context);
        if (metrics.enabled()) {
            MetricsEndpoint.mount(http, metrics);
        }
        WebPage.mount(http);

        AuthSettings auth = AuthSettings.fromProperties(config.lookup());
        SigningKeys keys = SigningKeys.start(auth, Clock.systemUTC());
        context.addService(closing(keys::close), true, true);
        TokenService tokens = new TokenService(auth, keys, Clock.systemUTC());
        TokenEndpoint.mount(http.router(), tokens, new RateLimiter(auth, Clock.systemUTC()), meters);
        WebSocketAuth webSocketAuth = new WebSocketAuth(tokens, auth, meters,
                AnonymousConnections.fromProperties(config.lookup(), auth));
        StaffAuth staff = new StaffAuth(StaffKeys.parse(config.string(StaffKeys.SETTING, "")),
                new StaffSessions(config.seconds("parley.console.session-ttl-s", 28_800, 60, 2_592_000), Clock.systemUTC()),
                tls != null);
        SessionControlEndpoint.mount(http.router(), sessions, tokens, auth.required(), staff);
        LiveFeed feed = new LiveFeed();
        ConsoleApi.mount(http.router(), staff, new RateLimiter(auth, Clock.systemUTC()), sessions, feed, index, archive);
        context.addComponent("console", new ConsoleComponent(feed));
        LanguagesEndpoint.mount(http, new LanguagesEndpoint.Offer(recognizer.name(), recognizer.languages(),
                translator.name(), () -> translation ? translator.pairs() : Map.of(), synthesizer.name(),
                synthesizer.languages()));

        List<String> targets = translation ? list(config.string("parley.translation.targets", "es")) : List.of();
        Warmup warmup = new Warmup(config.bool("parley.recognizer.warmup", true), recognizer, translator,
                config.bool("parley.tts.enabled", true) ? synthesizer : null, targets, http,
                webSocketAuth.rehearsalCredential(), metrics::countFromNow);
        context.addService(warmup, true, true);
        context.addComponent("listen", new ListenComponent(http, webSocketAuth, sessions,
                config.string("parley.listen.default-source", "en"), targets, config.bool("parley.record.default", true)));
        dev.parley.telephony.Telephony.register(context, config, http, sessions, recognizer, targets);
        context.addComponent("openai-realtime", new TranscriptionComponent(http, webSocketAuth, sessions,
                config.string("parley.listen.default-source", "en"), targets, config.bool("parley.record.default", true),
                config.seconds("parley.openai-realtime.max-held-audio-s", 120, 1, 3600).toMillis()));
        ClientSecretsEndpoint.mount(http.router(), tokens, recognizer.name(), config.string("parley.listen.default-source", "en"));
        context.addComponent("realtime", new RealtimeComponent());
        EventConverters.register(context.getTypeConverterRegistry());
        EventsComponent events = new EventsComponent(sessions.events(), meters);
        context.addComponent("parley", events);
        context.addComponent("session", new SessionComponent());
        meters.engines(translator.name(), synthesizer.name());
        context.addComponent("translate", new TranslateComponent(translator, meters));
        context.addComponent("tts", new SpeakComponent(synthesizer, meters));
        context.addComponent("archive", new ArchiveComponent(archive, sessions, archiving, openSessions, index));
        WebhookDispatcher webhooks = new WebhookDispatcher(WebhookSettings.fromProperties(config.lookup()), context, meters);
        context.addComponent("webhook", new WebhookComponent(webhooks));
        WebhookReplayEndpoint.mount(http.router(), webhooks, tokens, auth.required());

        // Erasure on request, and retention (off unless parley.archive.retention-days is set).
        boolean webhooksOn = config.bool("parley.webhooks.enabled", true);
        Erasure erasure = new Erasure(archive, sessions, webhooks, webhooksOn
                && list(config.string("parley.webhooks.events", "")).contains("session.erased"));
        context.getRegistry().bind("erasure", erasure);
        if (index != null) {
            erasure.addListener((sessionId, cause) -> index.forget(sessionId)); // erased or expired: never found again
            erasure.searchWith(index);
            context.getRegistry().bind("archiveIndex", index);
        }
        ErasureEndpoint.mount(http.router(), erasure, tokens, auth.required());
        int retentionDays = config.integer("parley.archive.retention-days", 0, 0, 36_500);
        if (retentionDays > 0) {
            context.addService(new Retention(archive, erasure::stillOpen, webhooks, Duration.ofDays(retentionDays),
                    Clock.systemUTC(), erasure.listeners()), true, true);
        }

        // Camel's health registry is set up only as the context starts.
        context.addStartupListener((started, alreadyStarted) -> {
            HealthCheckRegistry.get(started).register(new RecognizerReadiness(recognizer, warmup::done, sessions::draining));
            HealthCheckRegistry.get(started).register(new EventRoutesHealth(events));
            if (tls != null) {
                HealthCheckRegistry.get(started).register(new TlsCertificateCheck(tls, Clock.systemUTC()));
            }
        });
        context.addStartupListener(new CrashRecovery(leftOpen, openSessions, archive, sessions));
        context.addStartupListener(new org.apache.camel.StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                warmup.routesStarted(); // the rehearsal needs /v1/listen's route
            }
        });
        if (index != null && index.empty()) {
            // A first start, or an index deleted to be rebuilt: made from the archive, in the background.
            context.addStartupListener((started, alreadyStarted) -> {
                Thread rebuild = new Thread(index::rebuild, "parley-archive-index");
                rebuild.setDaemon(true);
                rebuild.start();
            });
        }

        // On SIGTERM (or any stop), the sessions are drained first, while the routes still run: the
        // context's "stopping" event comes before any route stops. Camel Main's shutdown hook waits
        // for the context's shutdown timeout, which must leave room for the drain.
        Duration drain = config.seconds("parley.shutdown.drain-timeout-s", 20, 0, 3600);
        context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.CamelContextStoppingEvent;
            }

            @Override
            public void notify(CamelEvent event) throws Exception {
                sessions.drain(drain);
            }
        });
        context.addStartupListener((started, alreadyStarted) -> {
            ShutdownStrategy shutdown = started.getShutdownStrategy();
            long needed = drain.toSeconds() + 30;
            if (shutdown.getTimeUnit().toSeconds(shutdown.getTimeout()) < needed) {
                shutdown.setTimeUnit(TimeUnit.SECONDS);
                shutdown.setTimeout(needed);
            }
        });
    }

    private static List<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    /** Closes engines when Camel stops. */
    private static ServiceSupport closing(Runnable... closers) {
        return new ServiceSupport() {
            @Override
            protected void doStop() {
                for (Runnable closer : closers) {
                    closer.run();
                }
            }
        };
    }
}
