package dev.parley;

import dev.parley.metrics.MetricsService;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;

import java.nio.file.Path;
import java.util.Map;

/**
 * Starts Parley: Camel Main with the YAML routes of {@code routes/}, the settings of
 * {@code application.properties} (packaged, then the file where Parley runs, then the environment)
 * and any jars in {@code lib/} where it runs.
 */
public final class Parley {

    private Parley() {
    }

    public static void main(String[] args) {
        Main main = create(Map.of());
        try {
            main.run(args);
        } catch (Exception e) {
            // A route file, a setting or a lib jar is wrong: say which, without a stack trace to dig through.
            System.err.println("Parley did not start: " + reasons(e) + routeFile(main.getCamelContext(), e));
            System.exit(1);
        }
    }

    /**
     * The file of the route that failed, when Camel's message does not name it: it does for a route's
     * {@code from}, not for a failing step ({@code to: nosuch:x}, an unknown option on a {@code to}).
     */
    static String routeFile(CamelContext context, Throwable failure) {
        for (Throwable t = failure; t != null && context != null; t = t.getCause()) {
            if (t instanceof FailedToCreateRouteException failed && failed.getRouteId() != null) {
                RouteDefinition route = ((ModelCamelContext) context).getRouteDefinition(failed.getRouteId());
                if (route != null && route.getResource() != null && route.getResource().getLocation() != null
                        && !reasons(failure).contains(route.getResource().getLocation())) {
                    return "\n  in route file: " + route.getResource().getLocation();
                }
                return "";
            }
        }
        return "";
    }

    /** The exception's message and those of its causes, each once. */
    static String reasons(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : "\n  because: ").append(message);
            }
        }
        return text.toString();
    }

    /** A Parley ready to start. Overrides win over every other source of settings; tests use them. */
    public static Main create(Map<String, String> overrides) {
        Main main = new Main();
        // Of two locations holding a key, Camel takes the first: the file where Parley runs comes first.
        main.setDefaultPropertyPlaceholderLocation(
                "file:application.properties;optional=true,classpath:application.properties;optional=true");
        overrides.forEach(main::addOverrideProperty);
        main.configure().addConfiguration(new ParleyConfiguration());
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                // Before Camel Main applies camel.metrics.*, which it sets on the CamelMetricsService it finds.
                MetricsService.offer(context);
                String lib = context.getPropertiesComponent().resolveProperty("parley.lib.dir").orElse("lib");
                ClassLoader libraries = UserLibraries.open(Path.of(lib), context.getVersion(), Parley.class.getClassLoader());
                if (libraries != null) {
                    // Components are found through Camel's class resolver; the rest (YAML beans, drivers) through the thread's.
                    context.getClassResolver().addClassLoader(libraries);
                    context.setApplicationContextClassLoader(libraries);
                    Thread.currentThread().setContextClassLoader(libraries);
                }
                String folder = context.getPropertiesComponent().resolveProperty("parley.routes.dir").orElse("routes");
                try {
                    support.configure().withRoutesIncludePattern(RouteFiles.includePattern(context, Path.of(folder)));
                } catch (Exception e) {
                    throw new IllegalStateException("Cannot find Parley's routes: " + e.getMessage(), e);
                }
            }
        });
        return main;
    }
}
