package dev.parley.telephony.audiohook;

import dev.parley.http.HttpServer;
import dev.parley.session.SessionRegistry;
import dev.parley.telephony.CallLanguages;
import dev.parley.ingest.IngestEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;
import java.time.Duration;
import java.util.Set;

/**
 * {@code audiohook:/audiohook}: Genesys Cloud AudioHook, protocol version 2. Each AudioHook session
 * (not the connection probe) is one Parley session; external = customer, internal = agent.
 */
public final class AudioHookComponent extends DefaultComponent {

    /**
     * @param apiKeys         accepted {@code X-API-KEY} values; empty refuses every session unless {@code authRequired} is false
     * @param clientSecret    base64 client secret: when set, the RFC 9421 signature must verify
     * @param maxPositionJump the most a message may move the call's timeline ahead of the audio
     *                        received (lost or discarded audio), and the most the timeline may run
     *                        ahead of the time since {@code open}
     * @param languageTags    what the recognizer transcribes, as {@code supportedLanguages} names it ({@code en-US})
     * @param transcripts     whether sessions send their finals back as transcript events when the
     *                        {@code open} does not say ({@code customConfig.transcripts})
     */
    public record Settings(Set<String> apiKeys, String clientSecret, boolean authRequired, boolean recordDefault,
                           CallLanguages languages, Duration maxPositionJump, Set<String> languageTags, boolean transcripts) {
    }

    private final HttpServer http;
    private final SessionRegistry sessions;
    private final Settings settings;
    /** One for every connection to the endpoint, so a nonce used on one is refused on all. */
    private final AudioHookSignature signatures = new AudioHookSignature();

    public AudioHookComponent(HttpServer http, SessionRegistry sessions, Settings settings) {
        this.http = http;
        this.sessions = sessions;
        this.settings = settings;
        if (settings.clientSecret() != null) {
            try {
                java.util.Base64.getDecoder().decode(settings.clientSecret());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parley.audiohook.client-secret must be base64, as Genesys shows it");
            }
        }
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        String path = remaining.startsWith("/") ? remaining : "/" + remaining;
        IngestEndpoint endpoint = new IngestEndpoint(uri, this, (e, processor) ->
                new AudioHookConsumer(e, processor, http, sessions, settings, signatures, path));
        setProperties(endpoint, parameters);
        endpoint.recordOnly();
        return endpoint;
    }
}
