package dev.parley.ingest;

import dev.parley.http.HttpServer;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.SessionRegistry;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.util.List;

final class ListenEndpoint extends DefaultEndpoint {

    private final HttpServer http;
    private final WebSocketAuth auth;
    private final String path;
    private final SessionRegistry sessions;
    private final ListenRequest.Defaults defaults;

    ListenEndpoint(String uri, ListenComponent component, HttpServer http, WebSocketAuth auth, String path,
                   SessionRegistry sessions,
                   ListenRequest.Defaults defaults) {
        super(uri, component);
        this.http = http;
        this.auth = auth;
        this.path = path;
        this.sessions = sessions;
        this.defaults = defaults;
    }

    @Override
    public Producer createProducer() {
        throw new IllegalArgumentException("listen: is a consumer only (from: listen:" + path + ")");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        ListenConsumer consumer = new ListenConsumer(this, processor, http, auth, path, sessions, defaults);
        configureConsumer(consumer);
        return consumer;
    }
}
