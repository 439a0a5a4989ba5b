package dev.parley.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.regex.Pattern;

/**
 * The browser client: {@code GET /} (the page) and the files beside it, from the classpath folder
 * {@code web/} (packaged in the jar; no build step). Only top-level file names are served, so the
 * WebSocket and API paths ({@code /v1/...}, {@code /api/...}, {@code /observe/...}) never reach
 * this handler. Responses carry {@code Cache-Control: no-cache}: a browser revalidates after an
 * upgrade instead of mixing an old script with a new page.
 */
public final class WebPage {

    /** The classpath folder the page is served from. */
    public static final String WEB_ROOT = "web";

    /** {@code /} or one top-level file such as {@code /app.js}. */
    private static final String PATHS = "/|/[A-Za-z0-9][A-Za-z0-9_.-]*\\.(?:html|js|css|svg|png|ico|json|txt)";
    /** The page loads only its own files and talks only to its own server. */
    private static final String CSP = "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: data:; "
            + "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
    private static final Pattern JAVASCRIPT = Pattern.compile(".*\\.m?js$");

    private WebPage() {
    }

    public static void mount(HttpServer server) {
        mount(server.router());
    }

    public static void mount(Router router) {
        StaticHandler files = StaticHandler.create(FileSystemAccess.RELATIVE, WEB_ROOT)
                .setIndexPage("index.html")
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                .setDefaultContentEncoding("UTF-8");
        router.routeWithRegex(PATHS).method(HttpMethod.GET).method(HttpMethod.HEAD)
                .handler(WebPage::headers).handler(files);
    }

    private static void headers(RoutingContext rc) {
        String path = rc.normalizedPath();
        boolean script = JAVASCRIPT.matcher(path).matches();
        boolean page = path.equals("/") || path.endsWith(".html");
        rc.addHeadersEndHandler(v -> {
            if (rc.response().getStatusCode() / 100 == 2 || rc.response().getStatusCode() == 304) {
                rc.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
                if (script) {
                    // Vert.x says text/javascript; the page asks for application/javascript (module
                    // scripts and AudioWorklet modules accept either in every current browser).
                    rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/javascript; charset=utf-8");
                }
                rc.response().putHeader("X-Content-Type-Options", "nosniff");
                if (page) {
                    rc.response().putHeader("Content-Security-Policy", CSP);
                }
            }
        });
        rc.next();
    }
}
