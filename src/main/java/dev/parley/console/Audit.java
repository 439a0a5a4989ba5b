package dev.parley.console;

import dev.parley.security.StaffAuth;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's audit log: one line per staff action (sign-in, watch, search, download, pause,
 * reindex) with the staff member's name, on the logger {@code dev.parley.console.audit}, so that a
 * logging setup can send it on its own.
 */
public final class Audit {

    private static final Logger LOG = LoggerFactory.getLogger("dev.parley.console.audit");

    private Audit() {
    }

    public static void log(RoutingContext rc, String action, String detail) {
        log(StaffAuth.staff(rc).name(), action, detail);
    }

    public static void log(String staff, String action, String detail) {
        LOG.info("staff={} action={} {}", staff, action, detail.replaceAll("[\\r\\n]", " "));
    }
}
