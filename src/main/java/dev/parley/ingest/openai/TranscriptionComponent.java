package dev.parley.ingest.openai;

import dev.parley.http.HttpServer;
import dev.parley.ingest.IngestEndpoint;
import dev.parley.ingest.SessionDefaults;
import dev.parley.security.WebSocketAuth;
import dev.parley.session.SessionRegistry;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.List;
import java.util.Map;

/**
 * {@code openai-realtime:/v1/realtime}: OpenAI's GA Realtime transcription protocol
 * ({@code ?intent=transcription}) served by Parley's own recognizer, for clients written for the
 * service, such as the official SDKs. Each connection is one session, opened with its first audio;
 * its audio leaves the consumer as exchanges in arrival order, like {@code listen:}'s. Upgrades are
 * authenticated like {@code /v1/listen}'s: a Parley token ({@code ?token=} or
 * {@code Authorization: Bearer}) or a configured API key ({@code Authorization: Bearer}).
 */
public final class TranscriptionComponent extends DefaultComponent {

    private final HttpServer http;
    private final WebSocketAuth auth;
    private final SessionRegistry sessions;
    private final SessionDefaults defaults;
    private final long maxHeldMs;

    /**
     * @param defaultSource  the language transcribed when a client's session.update names none
     * @param defaultTargets the languages finals are translated into (archive, webhooks) when the query names none
     * @param defaultRecord  whether a session is recorded when the query does not say ({@code record=})
     * @param maxHeldMs      audio a connection holds while the recognizer is behind before it stops
     *                       reading the socket ({@code parley.openai-realtime.max-held-audio-s})
     */
    public TranscriptionComponent(HttpServer http, WebSocketAuth auth, SessionRegistry sessions, String defaultSource,
                                  List<String> defaultTargets, boolean defaultRecord, long maxHeldMs) {
        this.http = http;
        this.auth = auth;
        this.sessions = sessions;
        this.defaults = new SessionDefaults(defaultSource, defaultTargets, defaultRecord);
        this.maxHeldMs = maxHeldMs;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        String path = remaining.startsWith("/") ? remaining : "/" + remaining;
        IngestEndpoint endpoint = new IngestEndpoint(uri, this, (e, processor) ->
                new TranscriptionConsumer(e, processor, http, auth, path, sessions, defaults.with(e, sessions.sourceLanguages()),
                        maxHeldMs));
        setProperties(endpoint, parameters);
        defaults.with(endpoint, sessions.sourceLanguages()); // a bad option stops start-up here
        return endpoint;
    }
}
