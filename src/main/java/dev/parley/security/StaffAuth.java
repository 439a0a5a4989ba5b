package dev.parley.security;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;

/**
 * Staff authentication on HTTP: a signed-in member of staff holds an HttpOnly, SameSite=Strict
 * session cookie (Secure, and named with the {@code __Host-} prefix, under TLS); a request that
 * changes something also carries the session's CSRF token in {@code X-CSRF-Token}. The cookie is
 * what the console's media element and event stream send; no key ever reaches the page.
 */
public final class StaffAuth {

    /** The header a state-changing request carries the session's CSRF token in. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    /** Where a handler finds the signed-in member of staff. */
    private static final String STAFF = "parley.staff";

    private final StaffSignIn signIn;
    private final StaffSessions sessions;
    private final boolean tls;
    private final String cookieName;

    public StaffAuth(StaffSignIn signIn, StaffSessions sessions, boolean tls) {
        this.signIn = signIn;
        this.sessions = sessions;
        this.tls = tls;
        this.cookieName = tls ? "__Host-parley_staff" : "parley_staff";
    }

    public StaffSessions sessions() {
        return sessions;
    }

    /** The staff member the key names, if it is theirs. */
    public Optional<String> verify(String name, String key) {
        return signIn.verify(name, key);
    }

    /** Opens a session for {@code name} and sets its cookie on the response. */
    public StaffSessions.Staff signIn(RoutingContext rc, String name) {
        StaffSessions.Staff staff = sessions.open(name);
        rc.response().addCookie(cookie(staff.id()));
        return staff;
    }

    /** Ends the request's session, if any, and clears its cookie. */
    public void signOut(RoutingContext rc) {
        Cookie cookie = rc.request().getCookie(cookieName);
        if (cookie != null) {
            sessions.close(cookie.getValue());
        }
        rc.response().addCookie(cookie("").setMaxAge(0));
    }

    /**
     * The signed-in staff member of a request, or empty: no cookie, an unknown or expired session, or
     * (for a request that is not GET or HEAD) no matching CSRF token.
     */
    public Optional<StaffSessions.Staff> authenticate(RoutingContext rc) {
        StaffSessions.Staff known = rc.get(STAFF);
        if (known != null) {
            return Optional.of(known);
        }
        Cookie cookie = rc.request().getCookie(cookieName);
        Optional<StaffSessions.Staff> staff = sessions.find(cookie == null ? null : cookie.getValue());
        HttpMethod method = rc.request().method();
        if (staff.isPresent() && method != HttpMethod.GET && method != HttpMethod.HEAD
                && !java.security.MessageDigest.isEqual(staff.get().csrf().getBytes(),
                String.valueOf(rc.request().getHeader(CSRF_HEADER)).getBytes())) {
            return Optional.empty();
        }
        staff.ifPresent(s -> rc.put(STAFF, s));
        return staff;
    }

    /** A handler that lets signed-in staff on and answers anyone else 401 (JSON). */
    public void require(RoutingContext rc) {
        if (authenticate(rc).isPresent()) {
            rc.next();
        } else {
            unauthorized(rc);
        }
    }

    /** The signed-in staff member a handler behind {@link #require} serves. */
    public static StaffSessions.Staff staff(RoutingContext rc) {
        return rc.get(STAFF);
    }

    public static void unauthorized(RoutingContext rc) {
        rc.response().setStatusCode(401).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("code", "unauthorized")
                        .put("message", "Sign in to the console at /console (a staff key of parley.console.staff);"
                                + " requests other than GET also send the session's " + CSRF_HEADER)).encode());
    }

    /** True when a browser says where a request came from and it is not this server (a cross-site form). */
    public static boolean crossSite(RoutingContext rc) {
        String origin = rc.request().getHeader("Origin");
        if (origin == null) {
            return false;
        }
        String host = rc.request().getHeader("Host");
        return host == null || !(origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    private Cookie cookie(String value) {
        return Cookie.cookie(cookieName, value).setPath("/").setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT).setSecure(tls);
    }
}
