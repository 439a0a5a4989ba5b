package dev.parley.telephony.twilio;

import dev.parley.http.HttpServer;
import dev.parley.session.SessionRegistry;
import dev.parley.telephony.CallLanguages;
import dev.parley.ingest.IngestEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * {@code twilio:/twilio/media}: Twilio Media Streams. Each stream (or two streams joined by a
 * {@code conversation} parameter) is one session; each track is a channel (inbound = customer,
 * outbound = agent); frames leave the consumer in arrival order as 8 kHz mu-law.
 */
public final class TwilioComponent extends DefaultComponent {

    /**
     * @param authToken    the account's auth token: {@code X-Twilio-Signature} is checked with it; null refuses every
     *                     upgrade unless {@code authRequired} is false
     * @param publicUrl    the URL Twilio connects to, when a proxy changes it (else {@code wss://<Host><path>})
     * @param bargeInMs    speech on the inbound track this long while a translation plays sends {@code clear}
     */
    public record Settings(String authToken, String publicUrl, boolean authRequired, boolean recordDefault,
                           CallLanguages languages, int bargeInMs, double bargeInRms) {
    }

    private final HttpServer http;
    private final SessionRegistry sessions;
    private final Settings settings;

    public TwilioComponent(HttpServer http, SessionRegistry sessions, Settings settings) {
        this.http = http;
        this.sessions = sessions;
        this.settings = settings;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        String path = remaining.startsWith("/") ? remaining : "/" + remaining;
        IngestEndpoint endpoint = new IngestEndpoint(uri, this, (e, processor) ->
                new TwilioConsumer(e, processor, http, sessions, settings, path));
        setProperties(endpoint, parameters);
        endpoint.recordOnly();
        return endpoint;
    }
}
