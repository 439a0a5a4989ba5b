package dev.parley.telephony.twilio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.audio.AudioEncoding;
import dev.parley.audio.AudioFormat;
import dev.parley.http.HttpServer;
import dev.parley.ingest.WebSocketIngest;
import dev.parley.session.CallSession;
import dev.parley.session.ClientText;
import dev.parley.session.ClientConnection;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.session.SessionSettings;
import dev.parley.telephony.CallLanguages;
import dev.parley.telephony.Metadata;
import dev.parley.telephony.Playback;
import dev.parley.ingest.IngestEndpoint;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves Twilio Media Streams on Parley's HTTP server. The upgrade is checked ({@code X-Twilio-Signature})
 * before it is accepted; each connection's messages are handled on its event loop in arrival order;
 * the session is opened off the event loop at {@code start} while the socket is paused.
 *
 * <p>Twilio cannot read anything but {@code media}, {@code mark} and {@code clear}: protocol faults
 * after {@code start} become {@code error} events of the session (archive, webhooks); before it,
 * the connection is closed with 1008 and a reason.
 */
final class TwilioConsumer extends WebSocketIngest {

    private static final Logger LOG = LoggerFactory.getLogger(TwilioConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PARAM_CHANNEL = "channel";
    static final String PARAM_CONVERSATION = "conversation";
    static final String PARAM_PLAYBACK = "playback";
    static final String PARAM_RECORD = "record";
    private static final java.util.Set<String> RESERVED = java.util.Set.of("customer_language", "agent_language",
            "customer_targets", "agent_targets", PARAM_RECORD, PARAM_CHANNEL, PARAM_CONVERSATION, PARAM_PLAYBACK);

    private final SessionRegistry sessions;
    private final TwilioComponent.Settings settings;
    private final Map<String, Call> conversations = new ConcurrentHashMap<>();

    TwilioConsumer(IngestEndpoint endpoint, Processor processor, HttpServer http, SessionRegistry sessions,
                   TwilioComponent.Settings settings, String path) {
        super(endpoint, processor, http, path);
        this.sessions = sessions;
        this.settings = settings;
    }

    @Override
    protected String notAWebSocket() {
        return path() + " is the WebSocket for Twilio Media Streams.";
    }

    @Override
    protected void upgrade(RoutingContext rc) {
        String refusal = authenticate(rc);
        if (refusal != null) {
            LOG.warn("Refused a Twilio stream from {}: {}", rc.request().remoteAddress(), refusal);
            rc.response().setStatusCode(403).end(refusal + "\n");
            return;
        }
        rc.request().toWebSocket()
                .onSuccess(ws -> new Leg(ws, http().vertx().getOrCreateContext()).start())
                .onFailure(e -> LOG.debug("Twilio WebSocket upgrade failed: {}", e.getMessage()));
    }

    /** Null when the upgrade may go on, else why not. */
    private String authenticate(RoutingContext rc) {
        if (settings.authToken() == null || settings.authToken().isBlank()) {
            return settings.authRequired()
                    ? "Twilio streams are refused until parley.twilio.auth-token is set (or parley.auth.required=false)"
                    : null;
        }
        String signature = rc.request().getHeader("X-Twilio-Signature");
        if (signature == null) {
            return "no X-Twilio-Signature";
        }
        String uri = rc.request().uri();
        int query = uri.indexOf('?');
        String publicUrl = settings.publicUrl();
        String host = rc.request().getHeader("Host");
        if (publicUrl == null && host == null) {
            return "no Host header to check X-Twilio-Signature with (set parley.twilio.public-url)";
        }
        List<String> urls = TwilioSignature.upgradeUrls(publicUrl, host, query < 0 ? uri : uri.substring(0, query));
        if (TwilioSignature.verify(settings.authToken(), signature, urls)) {
            return null;
        }
        // Twilio signs the stream's URL without a query string; a <Stream url> with one does not connect.
        return "X-Twilio-Signature does not verify for " + urls.get(0)
                + (query < 0 ? "" : " (Media Streams URLs carry no query string: use <Parameter>)");
    }

    /**
     * The session's side of one or two streams: the session's client. {@code tts.audio} of a channel
     * is played into the stream the other party listens to (a joined conversation), or into the
     * stream that carried the channel (a single stream with {@code playback=true}).
     *
     * <p>A conversation's first stream settles its languages, {@code record} and metadata; a second
     * stream joins only if it carries the other party and agrees with them.
     */
    final class Call implements ClientConnection {
        final String conversation;
        final CompletableFuture<CallSession> session = new CompletableFuture<>();
        final Map<String, Leg> legs = new ConcurrentHashMap<>();
        private final CallLanguages.Resolved languages;
        private final boolean record;
        private final Metadata metadata;
        private int active;
        private boolean over;

        Call(String conversation, CallLanguages.Resolved languages, boolean record, Metadata metadata) {
            this.conversation = conversation;
            this.languages = languages;
            this.record = record;
            this.metadata = metadata;
        }

        /** Null when a stream with these channels and parameters may join, else why not. */
        synchronized String conflict(List<String> channels, Map<String, String> params) throws CallLanguages.Invalid {
            if (over) {
                return null; // the stream opens a new session
            }
            for (String channel : channels) {
                if (legs.containsKey(channel)) {
                    return "conversation '" + ClientText.shorten(conversation, 40) + "' already has a stream for the " + channel;
                }
            }
            String record = params.get(PARAM_RECORD);
            if (record != null && !record.equals(Boolean.toString(this.record))) {
                return "record=" + ClientText.shorten(record, 40) + ", but conversation '" + ClientText.shorten(conversation, 40) + "' is "
                        + (this.record ? "" : "not ") + "recorded";
            }
            return CallLanguages.disagreement(params, languages);
        }

        /** Adds a stream; false if the call is over (every stream it had has ended). */
        synchronized boolean attach(Leg leg, List<String> channels) {
            if (over) {
                return false;
            }
            channels.forEach(c -> legs.put(c, leg));
            active++;
            return true;
        }

        /** The metadata once a joining stream's entries are added: its ids, and parameters not yet set. */
        synchronized Map<String, String> join(String channel, String callSid, String streamSid, Map<String, String> params) {
            metadata.putId(channel + "_call_sid", callSid).putId(channel + "_stream_sid", streamSid);
            params.forEach(metadata::putIfAbsent);
            return metadata.toMap();
        }

        /** Mu-law bytes the other streams have sent so far: where a joining stream's audio starts in the session. */
        long audioBefore(Leg leg) {
            return legs.values().stream().filter(l -> l != leg).mapToLong(l -> l.inboundBytes).max().orElse(0);
        }

        /** A stream ended: its channels finish; the session ends with the last stream. */
        void legEnded(Leg leg, String reason) {
            boolean last;
            synchronized (this) {
                active--;
                last = active <= 0;
                over = last;
            }
            if (last) {
                if (conversation != null) {
                    // A stream of the same conversation from now on opens a new session.
                    conversations.remove(conversation, this);
                }
                session.thenAccept(s -> s.end(reason, 1000));
            } else {
                List<String> ended = leg.channels();
                session.thenAccept(s -> ended.forEach(s::endChannel));
            }
        }

        @Override
        public void send(SessionEvent event) {
            if (!"tts.audio".equals(event.type()) || event.channel() == null) {
                return;
            }
            Leg target = conversation != null ? legs.get(other(event.channel())) : legs.get(event.channel());
            if (target != null && target.playback) {
                target.play(event.itemId(), Base64.getDecoder().decode((String) event.field("audio")));
            }
        }

        @Override
        public void close(int code, String reason) {
            if (conversation != null) {
                conversations.remove(conversation, this);
            }
            new ArrayList<>(legs.values()).stream().distinct().forEach(l -> l.close(code, reason));
        }
    }

    private static String other(String channel) {
        return CallLanguages.AGENT.equals(channel) ? CallLanguages.CUSTOMER : CallLanguages.AGENT;
    }

    /** One Twilio WebSocket: the protocol state of its messages, on its event loop. */
    final class Leg {
        private final ServerWebSocket ws;
        private final Context context;
        private String streamSid;
        private Call call;
        private CallSession session;
        private final Map<String, String> trackChannels = new LinkedHashMap<>();
        private boolean started;
        private boolean stopped;
        private long lastSequence;
        volatile boolean playback;
        /** Mu-law bytes of the inbound track so far. */
        volatile long inboundBytes;
        // Barge-in: marks sent and not yet echoed, and how long the inbound track has been loud.
        private int pendingMarks;
        private int loudMs;

        Leg(ServerWebSocket ws, Context context) {
            this.ws = ws;
            this.context = context;
        }

        void start() {
            closeOversizeMessages(ws, () -> {
                if (call != null && !stopped) {
                    stopped = true;
                    call.legEnded(this, "message_too_large");
                }
            });
            ws.textMessageHandler(this::message);
            ws.binaryMessageHandler(b -> refuse(1003, "Twilio Media Streams send JSON text messages"));
            ws.closeHandler(v -> {
                if (call != null && !stopped) {
                    stopped = true;
                    call.legEnded(this, "client_closed");
                }
            });
        }

        private void refuse(int code, String reason) {
            LOG.info("Closing Twilio stream {}: {}", streamSid, reason);
            if (!ws.isClosed()) {
                ws.close((short) code, reason.length() > 120 ? reason.substring(0, 120) : reason);
            }
        }

        /** A fault after start: an error event of the session, which goes on. */
        private void fault(String code, String message) {
            if (session != null) {
                session.rejectInput(code, message);
            } else {
                refuse(1008, message);
            }
        }

        private void message(String text) {
            JsonNode m;
            try {
                m = JSON.readTree(text);
            } catch (Exception e) {
                m = null;
            }
            if (m == null || !m.isObject() || !m.path("event").isTextual()) {
                fault("invalid_json", "A Twilio message must be a JSON object with an 'event'; got: " + ClientText.shorten(text, 40));
                return;
            }
            String event = m.path("event").asText();
            if (!sequence(m, event)) {
                return;
            }
            switch (event) {
                case "connected" -> {
                    if (started) {
                        fault("unexpected_message", "'connected' after 'start' was ignored");
                    }
                }
                case "start" -> start(m);
                case "media" -> media(m);
                case "mark" -> {
                    if (requireStarted(event, m)) {
                        pendingMarks = Math.max(0, pendingMarks - 1);
                    }
                }
                case "dtmf" -> {
                    if (requireStarted(event, m)) {
                        String digit = m.path("dtmf").path("digit").asText("");
                        session.emit(SessionEvent.of("dtmf").channel(trackChannels.getOrDefault("inbound", CallLanguages.CUSTOMER))
                                .field("digit", digit));
                    }
                }
                case "stop" -> {
                    if (requireStarted(event, m) && !stopped) {
                        stopped = true;
                        call.legEnded(this, "stop");
                    }
                }
                default -> fault("unknown_type", "Unknown Twilio event '" + ClientText.shorten(event, 40) + "' was ignored");
            }
        }

        /** Twilio numbers its messages 1, 2, 3...; a repeated or older number is dropped. */
        private boolean sequence(JsonNode m, String event) {
            JsonNode seq = m.get("sequenceNumber");
            if (seq == null || "connected".equals(event)) {
                return true;
            }
            long n;
            try {
                n = Long.parseLong(seq.asText());
            } catch (NumberFormatException e) {
                fault("invalid_message", "sequenceNumber must be a number; the '" + event + "' message was ignored");
                return false;
            }
            if (n <= lastSequence) {
                fault("out_of_order", "A '" + event + "' message with sequenceNumber " + n + " after " + lastSequence
                        + " (repeated or out of order) was ignored");
                return false;
            }
            lastSequence = n;
            return true;
        }

        private boolean requireStarted(String event, JsonNode m) {
            if (!started || session == null) {
                refuse(1008, "'" + event + "' before 'start'");
                return false;
            }
            if (stopped) {
                fault("unexpected_message", "'" + event + "' after 'stop' was ignored");
                return false;
            }
            String sid = m.path("streamSid").asText(null);
            if (sid != null && !sid.equals(streamSid)) {
                fault("invalid_message", "'" + event + "' for stream " + ClientText.shorten(sid, 40) + " on stream " + streamSid + " was ignored");
                return false;
            }
            return true;
        }

        private void start(JsonNode m) {
            if (started) {
                fault("unexpected_message", "A second 'start' was ignored");
                return;
            }
            JsonNode s = m.path("start");
            JsonNode format = s.path("mediaFormat");
            streamSid = s.path("streamSid").asText(m.path("streamSid").asText(null));
            String callSid = s.path("callSid").asText(null);
            if (streamSid == null || callSid == null) {
                refuse(1008, "'start' needs start.streamSid and start.callSid");
                return;
            }
            if (!"audio/x-mulaw".equals(format.path("encoding").asText()) || format.path("sampleRate").asInt() != 8000
                    || format.path("channels").asInt(1) != 1) {
                refuse(1008, "only audio/x-mulaw at 8000 Hz, mono, is supported");
                return;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.path("customParameters").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                params.put(e.getKey(), e.getValue().asText());
            }
            String inbound = params.getOrDefault(PARAM_CHANNEL, CallLanguages.CUSTOMER);
            if (!inbound.equals(CallLanguages.CUSTOMER) && !inbound.equals(CallLanguages.AGENT)) {
                refuse(1008, "parameter channel must be customer or agent");
                return;
            }
            List<String> tracks = new ArrayList<>();
            s.path("tracks").forEach(t -> tracks.add(t.asText()));
            if (tracks.isEmpty()) {
                tracks.add("inbound");
            }
            for (String track : tracks) {
                if (track.equals("inbound")) {
                    trackChannels.put("inbound", inbound);
                } else if (track.equals("outbound")) {
                    trackChannels.put("outbound", other(inbound));
                } else {
                    refuse(1008, "unknown track '" + ClientText.shorten(track, 40) + "'");
                    return;
                }
            }
            playback = "true".equals(params.get(PARAM_PLAYBACK));
            if (playback && trackChannels.containsKey("outbound")) {
                refuse(1008, "playback=true needs a bidirectional <Connect><Stream>, which carries the inbound track only");
                return;
            }
            String recordText = params.getOrDefault(PARAM_RECORD,
                    Boolean.toString(((IngestEndpoint) getEndpoint()).recordDefault(settings.recordDefault())));
            if (!recordText.equals("true") && !recordText.equals("false")) {
                refuse(1008, "parameter record must be true or false");
                return;
            }
            String conversation = params.get(PARAM_CONVERSATION);
            if (conversation != null && trackChannels.containsKey("outbound")) {
                refuse(1008, "a conversation joins one stream per party: this stream carries both tracks");
                return;
            }
            List<String> mine = List.copyOf(trackChannels.values());
            List<String> channels = conversation != null ? List.of(CallLanguages.CUSTOMER, CallLanguages.AGENT) : mine;
            CallLanguages.Resolved languages;
            try {
                languages = settings.languages().resolve(params, channels);
            } catch (CallLanguages.Invalid e) {
                refuse(1008, e.getMessage());
                return;
            }
            Map<String, String> custom = new LinkedHashMap<>(params);
            custom.keySet().removeAll(RESERVED);
            Metadata metadata = new Metadata().put("call_sid", callSid).put("stream_sid", streamSid)
                    .put("account_sid", s.path("accountSid").asText(null));
            if (conversation != null) {
                metadata.put(PARAM_CONVERSATION, conversation)
                        .put(inbound + "_call_sid", callSid).put(inbound + "_stream_sid", streamSid);
            }
            custom.forEach(metadata::putIfAbsent);
            // Taken now: once the call is in the conversations map, a joining stream adds to its metadata.
            Map<String, String> opening = metadata.toMap();
            boolean record = ((IngestEndpoint) getEndpoint()).recordAllowed() && Boolean.parseBoolean(recordText);
            Call fresh = new Call(conversation, languages, record, metadata);
            if (conversation == null) {
                fresh.attach(this, mine);
                call = fresh;
            } else {
                String refusal = enter(conversation, fresh, mine, params);
                if (refusal != null) {
                    refuse(1008, refusal);
                    return;
                }
            }
            started = true;
            if (call == fresh) {
                open(fresh, new SessionSettings("twilio", languages.first(), List.of(),
                        new AudioFormat(AudioEncoding.MULAW, 8000), channels, opening, record,
                        languages.sources(), languages.targets()));
            }
            Map<String, String> joinedMetadata = call == fresh ? null : call.join(inbound, callSid, streamSid, custom);
            ws.pause();
            call.session.whenComplete((opened, failure) -> context.runOnContext(v -> {
                if (failure != null) {
                    refuse(1011, "the server could not open a session");
                    return;
                }
                session = opened;
                if (session.state() != CallSession.State.OPEN) {
                    // Refused (capacity, a language pair no engine reaches): the session says why and closes us.
                    // A stream that joined as the conversation's session was closing was not among those it closed.
                    if (joinedMetadata != null && session.state() == CallSession.State.CLOSED) {
                        refuse(1000, "conversation '" + ClientText.shorten(conversation, 40) + "' has ended");
                    }
                    return;
                }
                if (joinedMetadata != null) {
                    // This party's audio starts where the other's has got to, in the session's timeline.
                    long before = call.audioBefore(this);
                    mine.forEach(c -> deliverGap(session, c, before));
                    session.joined(inbound, joinedMetadata);
                }
                ws.resume();
            }));
        }

        /** Joins the conversation's call, or opens it with {@code fresh}: null when this stream is in, else why not. */
        private String enter(String conversation, Call fresh, List<String> mine, Map<String, String> params) {
            String[] refusal = new String[1];
            // Per conversation one at a time: two streams arriving together cannot both take a channel or both open it.
            conversations.compute(conversation, (k, existing) -> {
                if (existing != null) {
                    try {
                        refusal[0] = existing.conflict(mine, params);
                    } catch (CallLanguages.Invalid e) {
                        refusal[0] = e.getMessage();
                    }
                    if (refusal[0] != null) {
                        return existing;
                    }
                    if (existing.attach(this, mine)) {
                        call = existing;
                        return existing;
                    }
                }
                fresh.attach(this, mine);
                call = fresh;
                return fresh;
            });
            return refusal[0];
        }

        private void open(Call c, SessionSettings s) {
            http().vertx().executeBlocking(() -> sessions.open(s, c), false)
                    .onSuccess(c.session::complete)
                    .onFailure(e -> {
                        LOG.error("Could not open a session", e);
                        c.session.completeExceptionally(e);
                    });
        }

        private void media(JsonNode m) {
            if (!requireStarted("media", m)) {
                return;
            }
            JsonNode media = m.path("media");
            String track = media.path("track").asText("inbound");
            String channel = trackChannels.get(track);
            if (channel == null) {
                fault("invalid_message", "media of track '" + ClientText.shorten(track, 40) + "', which the stream did not start with, was ignored");
                return;
            }
            byte[] audio;
            try {
                audio = Base64.getDecoder().decode(media.path("payload").asText(""));
            } catch (IllegalArgumentException e) {
                fault("invalid_audio", "A media payload that is not base64 was ignored");
                return;
            }
            if (audio.length == 0) {
                return;
            }
            if (track.equals("inbound")) {
                inboundBytes += audio.length;
                bargeIn(audio);
            }
            deliver(session, channel, audio);
        }

        /** New speech while a translation is playing: {@code clear} it. */
        private void bargeIn(byte[] audio) {
            if (pendingMarks == 0) {
                loudMs = 0;
                return;
            }
            if (Playback.rms(audio, 0, audio.length) >= settings.bargeInRms()) {
                loudMs += audio.length / 8;
                if (loudMs >= settings.bargeInMs()) {
                    ObjectNode clear = JSON.createObjectNode().put("event", "clear").put("streamSid", streamSid);
                    ws.writeTextMessage(clear.toString());
                    pendingMarks = 0;
                    loudMs = 0;
                }
            } else {
                loudMs = 0;
            }
        }

        /** Sends speech into the call: 160-byte media messages, then a mark named after the item. */
        void play(String itemId, byte[] wav) {
            List<byte[]> frames;
            try {
                frames = Playback.frames(wav);
            } catch (RuntimeException e) {
                LOG.warn("Cannot play {} into stream {}: {}", itemId, streamSid, e.getMessage());
                return;
            }
            context.runOnContext(v -> {
                if (ws.isClosed()) {
                    return;
                }
                for (byte[] frame : frames) {
                    ObjectNode msg = JSON.createObjectNode().put("event", "media").put("streamSid", streamSid);
                    msg.putObject("media").put("payload", Base64.getEncoder().encodeToString(frame));
                    ws.writeTextMessage(msg.toString());
                }
                ObjectNode mark = JSON.createObjectNode().put("event", "mark").put("streamSid", streamSid);
                mark.putObject("mark").put("name", itemId);
                ws.writeTextMessage(mark.toString());
                pendingMarks++;
            });
        }

        /** The channels this stream carries. */
        List<String> channels() {
            return List.copyOf(trackChannels.values());
        }

        void close(int code, String reason) {
            // Twilio has no reconnect: a shutdown (1012) simply ends the stream, as a normal close.
            short wsCode = (short) (code == SessionRegistry.SERVICE_RESTART ? 1000 : code);
            context.runOnContext(v -> {
                if (!ws.isClosed()) {
                    ws.close(wsCode, reason == null ? "" : reason);
                }
            });
        }
    }
}
