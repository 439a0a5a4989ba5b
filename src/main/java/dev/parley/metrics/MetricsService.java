package dev.parley.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadDeadlockMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.StaticService;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifier;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifierNamingStrategyDefault;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifierNamingStrategyLegacy;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifier;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifierNamingStrategy;
import org.apache.camel.component.micrometer.messagehistory.MicrometerMessageHistoryFactory;
import org.apache.camel.component.micrometer.messagehistory.MicrometerMessageHistoryNamingStrategy;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyNamingStrategy;
import org.apache.camel.component.micrometer.spi.InstrumentedThreadPoolFactory;
import org.apache.camel.spi.CamelMetricsService;
import org.apache.camel.support.service.ServiceSupport;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Camel Main's metrics service for Parley: Camel Main sets the {@code camel.metrics.*} settings on it,
 * and it puts camel-micrometer's route policies and event notifiers, the JVM binders named and
 * Parley's own meters into one Prometheus registry, which {@link dev.parley.http.MetricsEndpoint}
 * serves on Parley's own port. camel-micrometer-prometheus does the same wiring but serves on Camel's
 * management server, a second port (DESIGN.md, known traps), so Parley does not use it.
 *
 * <p>The options are those of {@code camel.metrics.*} (Camel's MetricsConfigurationProperties), with
 * Camel's defaults; {@code camel.metrics.enabled=false} leaves Camel uninstrumented and serves nothing.
 */
public final class MetricsService extends ServiceSupport implements CamelMetricsService, StaticService {

    /** The binders {@code camel.metrics.binders} may name: Micrometer's own JVM and system ones. */
    static final Map<String, Supplier<MeterBinder>> BINDERS = new LinkedHashMap<>();

    static {
        BINDERS.put("class-loader", ClassLoaderMetrics::new);
        BINDERS.put("file-descriptor", FileDescriptorMetrics::new);
        BINDERS.put("jvm-compilation", JvmCompilationMetrics::new);
        BINDERS.put("jvm-gc", JvmGcMetrics::new);
        BINDERS.put("jvm-heap-pressure", JvmHeapPressureMetrics::new);
        BINDERS.put("jvm-info", JvmInfoMetrics::new);
        BINDERS.put("jvm-memory", JvmMemoryMetrics::new);
        BINDERS.put("jvm-thread", JvmThreadMetrics::new);
        BINDERS.put("jvm-thread-deadlock", JvmThreadDeadlockMetrics::new);
        BINDERS.put("processor", ProcessorMetrics::new);
        BINDERS.put("uptime", UptimeMetrics::new);
    }

    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /**
     * What everything records into. The Prometheus registry joins it only once Parley is ready
     * ({@link #countFromNow}): what the warm-up does before that is counted nowhere.
     */
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private CamelContext camelContext;
    private String namingStrategy = "default";
    private boolean enableRoutePolicy = true;
    private String routePolicyLevel = "all";
    private boolean enableMessageHistory;
    private boolean enableExchangeEventNotifier = true;
    private boolean baseEndpointURIExchangeEventNotifier = true;
    private boolean enableRouteEventNotifier = true;
    private boolean enableInstrumentedThreadPoolFactory;
    private boolean clearOnReload = true;
    private boolean skipCamelInfo;
    private String textFormatVersion = "0.0.4";
    private String binders = "";
    private String path = "/observe/metrics";

    /**
     * Offers a metrics service to Camel Main, which sets {@code camel.metrics.*} on it and adds it to the
     * context, as it does camel-micrometer-prometheus's: call before Camel Main configures the context.
     */
    public static void offer(CamelContext context) {
        context.getRegistry().bind("parleyMetrics", new MetricsService());
    }

    /** The context's metrics service: the one Camel Main added, else the one offered (or a new one), added now. */
    public static synchronized MetricsService of(CamelContext context) {
        MetricsService service = context.hasService(MetricsService.class);
        if (service != null) {
            return service;
        }
        service = context.getRegistry().findSingleByType(MetricsService.class);
        service = service != null ? service : new MetricsService();
        try {
            context.addService(service, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot add Parley's metrics service: " + e.getMessage(), e);
        }
        return service;
    }

    /** The registry to record into. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The registry {@link dev.parley.http.MetricsEndpoint} serves. */
    public PrometheusMeterRegistry prometheus() {
        return prometheus;
    }

    /**
     * From now on, what is recorded is served: called once the warm-up is done. Counters start from
     * zero then; gauges read their state whenever they are scraped.
     */
    public synchronized void countFromNow() {
        if (!registry.getRegistries().contains(prometheus)) {
            registry.add(prometheus);
        }
    }

    /** False when {@code camel.metrics.enabled=false}: nothing is instrumented or served. */
    public boolean enabled() {
        return camelContext == null || camelContext.getPropertiesComponent().resolveProperty("camel.metrics.enabled")
                .map(v -> !v.trim().equalsIgnoreCase("false")).orElse(true);
    }

    @Override
    protected void doInit() {
        // micrometer: endpoints in users' routes find the registry by this name, so their meters are served too.
        camelContext.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, registry);
        if (!enabled()) {
            return;
        }
        for (String name : binders.split(",")) {
            if (!name.isBlank()) {
                Supplier<MeterBinder> binder = BINDERS.get(name.trim().toLowerCase(Locale.ROOT));
                if (binder == null) {
                    throw new IllegalArgumentException("Invalid setting camel.metrics.binders=" + binders + ": unknown binder '"
                            + name.trim() + "'; Parley knows " + String.join(", ", BINDERS.keySet()));
                }
                binder.get().bindTo(registry);
            }
        }
        boolean legacy = "legacy".equalsIgnoreCase(namingStrategy);
        if (enableRoutePolicy) {
            MicrometerRoutePolicyFactory policies = new MicrometerRoutePolicyFactory();
            policies.setMeterRegistry(registry);
            policies.setSkipCamelInfo(skipCamelInfo);
            if (legacy) {
                policies.setNamingStrategy(MicrometerRoutePolicyNamingStrategy.LEGACY);
            }
            policies.getPolicyConfiguration().setContextEnabled(!"route".equalsIgnoreCase(routePolicyLevel));
            policies.getPolicyConfiguration().setRouteEnabled(!"context".equalsIgnoreCase(routePolicyLevel));
            camelContext.addRoutePolicyFactory(policies);
        }
        if (enableExchangeEventNotifier) {
            MicrometerExchangeEventNotifier exchanges = new MicrometerExchangeEventNotifier();
            exchanges.setMeterRegistry(registry);
            exchanges.setSkipCamelInfo(skipCamelInfo);
            exchanges.setBaseEndpointURI(baseEndpointURIExchangeEventNotifier);
            exchanges.setNamingStrategy(legacy
                    ? new MicrometerExchangeEventNotifierNamingStrategyLegacy(baseEndpointURIExchangeEventNotifier)
                    : new MicrometerExchangeEventNotifierNamingStrategyDefault(baseEndpointURIExchangeEventNotifier));
            camelContext.getManagementStrategy().addEventNotifier(exchanges);
        }
        if (enableRouteEventNotifier) {
            MicrometerRouteEventNotifier routes = new MicrometerRouteEventNotifier();
            routes.setMeterRegistry(registry);
            routes.setSkipCamelInfo(skipCamelInfo);
            if (legacy) {
                routes.setNamingStrategy(MicrometerRouteEventNotifierNamingStrategy.LEGACY);
            }
            camelContext.getManagementStrategy().addEventNotifier(routes);
        }
        if (enableMessageHistory) {
            camelContext.setMessageHistory(true);
            MicrometerMessageHistoryFactory history = new MicrometerMessageHistoryFactory();
            history.setMeterRegistry(registry);
            if (legacy) {
                history.setNamingStrategy(MicrometerMessageHistoryNamingStrategy.LEGACY);
            }
            camelContext.setMessageHistoryFactory(history);
        }
        if (enableInstrumentedThreadPoolFactory) {
            camelContext.getExecutorServiceManager().setThreadPoolFactory(new InstrumentedThreadPoolFactory(registry,
                    camelContext.getExecutorServiceManager().getThreadPoolFactory()));
        }
    }

    @Override
    protected void doShutdown() {
        registry.close();
        prometheus.close();
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    // ---- camel.metrics.* (set by Camel Main) -----------------------------------------------------------

    public String getNamingStrategy() { return namingStrategy; }

    public void setNamingStrategy(String namingStrategy) { this.namingStrategy = namingStrategy; }

    public boolean isEnableRoutePolicy() { return enableRoutePolicy; }

    public void setEnableRoutePolicy(boolean enableRoutePolicy) { this.enableRoutePolicy = enableRoutePolicy; }

    public String getRoutePolicyLevel() { return routePolicyLevel; }

    public void setRoutePolicyLevel(String routePolicyLevel) { this.routePolicyLevel = routePolicyLevel; }

    public boolean isEnableMessageHistory() { return enableMessageHistory; }

    public void setEnableMessageHistory(boolean enableMessageHistory) { this.enableMessageHistory = enableMessageHistory; }

    public boolean isEnableExchangeEventNotifier() { return enableExchangeEventNotifier; }

    public void setEnableExchangeEventNotifier(boolean enable) { this.enableExchangeEventNotifier = enable; }

    public boolean isBaseEndpointURIExchangeEventNotifier() { return baseEndpointURIExchangeEventNotifier; }

    public void setBaseEndpointURIExchangeEventNotifier(boolean base) { this.baseEndpointURIExchangeEventNotifier = base; }

    public boolean isEnableRouteEventNotifier() { return enableRouteEventNotifier; }

    public void setEnableRouteEventNotifier(boolean enable) { this.enableRouteEventNotifier = enable; }

    public boolean isEnableInstrumentedThreadPoolFactory() { return enableInstrumentedThreadPoolFactory; }

    public void setEnableInstrumentedThreadPoolFactory(boolean enable) { this.enableInstrumentedThreadPoolFactory = enable; }

    /** Accepted for compatibility: Parley does not reload routes while it runs, so there is nothing to clear. */
    public boolean isClearOnReload() { return clearOnReload; }

    public void setClearOnReload(boolean clearOnReload) { this.clearOnReload = clearOnReload; }

    public boolean isSkipCamelInfo() { return skipCamelInfo; }

    public void setSkipCamelInfo(boolean skipCamelInfo) { this.skipCamelInfo = skipCamelInfo; }

    /** The exposition served when a scraper does not ask for one: {@code 0.0.4} (Prometheus text) or {@code 1.0.0} (OpenMetrics). */
    public String getTextFormatVersion() { return textFormatVersion; }

    public void setTextFormatVersion(String textFormatVersion) {
        if (!textFormatVersion.equals("0.0.4") && !textFormatVersion.equals("1.0.0")) {
            throw new IllegalArgumentException("Invalid setting camel.metrics.textFormatVersion=" + textFormatVersion
                    + ": expected 0.0.4 (Prometheus text) or 1.0.0 (OpenMetrics)");
        }
        this.textFormatVersion = textFormatVersion;
    }

    public String getBinders() { return binders; }

    public void setBinders(String binders) { this.binders = binders == null ? "" : binders; }

    /** Where Parley's port serves the metrics. */
    public String getPath() { return path; }

    public void setPath(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("Invalid setting camel.metrics.path=" + path + ": expected a path starting with /");
        }
        this.path = path;
    }
}
