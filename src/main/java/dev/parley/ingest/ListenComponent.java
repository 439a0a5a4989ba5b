package dev.parley.ingest;

import dev.parley.http.HttpServer;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.SessionRegistry;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.List;
import java.util.Map;

/**
 * {@code listen:/v1/listen}: the WebSocket entry point for browsers and API clients. Each connection
 * is one session; its audio frames leave the consumer as exchanges, in arrival order. Options
 * ({@code ?source=en&targets=es,ca&record=false}) set what sessions on the path get when their client
 * does not say ({@link SessionDefaults}).
 */
public final class ListenComponent extends DefaultComponent {

    private final HttpServer http;
    private final WebSocketAuth auth;
    private final SessionRegistry sessions;
    private final SessionDefaults defaults;

    /**
     * @param defaultSource  the source language when a client gives none
     * @param defaultTargets the target languages when a client gives none
     * @param defaultRecord  whether a session is recorded when its client does not say
     */
    public ListenComponent(HttpServer http, WebSocketAuth auth, SessionRegistry sessions, String defaultSource,
                           List<String> defaultTargets, boolean defaultRecord) {
        this.http = http;
        this.auth = auth;
        this.sessions = sessions;
        this.defaults = new SessionDefaults(defaultSource, defaultTargets, defaultRecord);
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        String path = remaining.startsWith("/") ? remaining : "/" + remaining;
        IngestEndpoint endpoint = new IngestEndpoint(uri, this, (e, processor) ->
                new ListenConsumer(e, processor, http, auth, path, sessions, defaults.with(e, sessions.sourceLanguages())));
        setProperties(endpoint, parameters);
        defaults.with(endpoint, sessions.sourceLanguages()); // a bad option stops start-up here
        return endpoint;
    }
}
