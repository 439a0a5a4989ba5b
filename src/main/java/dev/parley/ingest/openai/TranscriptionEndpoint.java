package dev.parley.ingest.openai;

import dev.parley.http.HttpServer;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.SessionRegistry;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

final class TranscriptionEndpoint extends DefaultEndpoint {

    private final HttpServer http;
    private final WebSocketAuth auth;
    private final String path;
    private final SessionRegistry sessions;
    private final TranscriptionRequest.Defaults defaults;

    TranscriptionEndpoint(String uri, TranscriptionComponent component, HttpServer http, WebSocketAuth auth, String path,
                          SessionRegistry sessions, TranscriptionRequest.Defaults defaults) {
        super(uri, component);
        this.http = http;
        this.auth = auth;
        this.path = path;
        this.sessions = sessions;
        this.defaults = defaults;
    }

    @Override
    public Producer createProducer() {
        throw new IllegalArgumentException("openai-realtime: is a consumer only (from: openai-realtime:" + path + ")");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        TranscriptionConsumer consumer = new TranscriptionConsumer(this, processor, http, auth, path, sessions, defaults);
        configureConsumer(consumer);
        return consumer;
    }
}
