package dev.parley.archive;

import dev.parley.session.CallSession;
import dev.parley.session.ParleyHeaders;
import dev.parley.session.ParleyProperties;
import dev.parley.session.SessionEvent;
import dev.parley.session.SessionRegistry;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultComponent;

import dev.parley.privacy.RedactionSettings;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The archive in routes. {@code archive:record} takes every event of a session: it opens the
 * session's folder on {@code session.created}, appends events (and captions, and TTS WAVs), and
 * closes it after {@code session.closed}; {@code session.joined} rewrites {@code call.json} with the
 * session's metadata as it now is. {@code archive:audio} appends a frame of received audio, or
 * silence for a gap in the call's audio ({@link ParleyHeaders#AUDIO_GAP}); a frame for the recognizer only
 * ({@link ParleyHeaders#AUDIO_FOR}) is not archived (it comes again, for the archive, or as silence).
 * {@code archive:index} adds an archived session's events to the search index ({@link ArchiveIndex}),
 * off the session's thread.
 * Sessions that did not consent to recording are skipped, and everything when the archive is off.
 */
public final class ArchiveComponent extends DefaultComponent {

    private final TranscriptArchive archive;
    private final SessionRegistry sessions;
    private final Map<String, Open> open = new ConcurrentHashMap<>();
    private final boolean enabled;
    private final OpenSessions openSessions;
    private final ArchiveIndex index;

    /**
     * A session's archive, the settings it was opened with for the final {@code call.json}, its audio
     * held for redaction (null when audio is not redacted), and how many of each entity were redacted.
     */
    private record Open(SessionArchive files, Map<String, Object> call, HeldAudio held, Map<String, Integer> redacted) {
    }

    /**
     * @param enabled      {@code parley.archive.enabled}: when false, both steps do nothing
     * @param openSessions where each session is marked open while its archive is, so that a crash
     *                     can be made good at the next start
     * @param index        the search index {@code archive:index} keeps
     */
    public ArchiveComponent(TranscriptArchive archive, SessionRegistry sessions, boolean enabled, OpenSessions openSessions,
                            ArchiveIndex index) {
        this.index = index;
        this.archive = archive;
        this.sessions = sessions;
        this.enabled = enabled;
        this.openSessions = openSessions;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        return switch (remaining) {
            case "record" -> StepEndpoint.of(uri, this, this::record);
            case "audio" -> StepEndpoint.of(uri, this, this::audio);
            case "index" -> StepEndpoint.of(uri, this, (session, exchange) -> {
                if (enabled && session.settings().record()) {
                    index.record(exchange.getProperty(ParleyProperties.EVENT, SessionEvent.class), session.startedAt());
                }
            });
            default -> throw new IllegalArgumentException(
                    "Unknown archive endpoint '" + remaining + "'; use archive:record, archive:audio or archive:index");
        };
    }

    private void record(CallSession session, Exchange exchange) {
        if (!enabled || !session.settings().record()) {
            return;
        }
        SessionEvent event = exchange.getProperty(ParleyProperties.EVENT, SessionEvent.class);
        switch (event.type()) {
            case "transcript.final" -> {
                Open o = open.get(session.id());
                if (o != null) {
                    o.files().append(event);
                    judged(o, event);
                }
            }
            case "session.created" -> {
                Open o = openFor(session, false);
                if (o != null) {
                    o.files().append(event);
                }
            }
            case "tts.audio" -> {
                Open o = open.get(session.id());
                if (o != null) {
                    o.files().writeTts(event.itemId(), event.language(),
                            Base64.getDecoder().decode((String) event.field("audio")));
                    o.files().append(event);
                }
            }
            case "session.joined" -> {
                Open o = open.get(session.id());
                if (o != null) {
                    o.call().put("metadata", event.field("metadata"));
                    o.files().writeCallJson(o.call());
                    o.files().append(event);
                }
            }
            case "session.closed" -> {
                Open o = open.remove(session.id());
                if (o == null && session.leftOpen()) {
                    archive.closeLeftOpen(session.id(), session.startedAt(), event);
                } else if (o != null) {
                    if (o.held() != null) {
                        o.held().flush(); // every utterance has had its final: all of the audio is judged
                    }
                    o.files().append(event);
                    Map<String, Object> call = new LinkedHashMap<>(o.call());
                    call.put("ended_at", event.emittedAt());
                    call.put("end_reason", event.field("reason"));
                    call.put("audio", event.field("audio"));
                    if (call.get("redaction") instanceof Map<?, ?> redaction) {
                        Map<String, Object> done = new LinkedHashMap<>();
                        redaction.forEach((k, v) -> done.put(String.valueOf(k), v));
                        done.put("redacted", new java.util.TreeMap<>(o.redacted()));
                        if (o.held() != null) {
                            done.put("audio_silenced_unjudged_ms", o.held().silencedMillis());
                        }
                        call.put("redaction", done);
                    }
                    o.files().close(call);
                }
            }
            default -> {
                Open o = open.get(session.id());
                if (o != null) {
                    o.files().append(event);
                }
            }
        }
    }

    /**
     * The session's archive, opened by whichever comes first: its {@code session.created} event or
     * its first frame of audio (which may reach the archive before the event does). Audio opens it
     * only while the session is open, so a late frame never opens a second folder.
     */
    private Open openFor(CallSession session, boolean byAudio) {
        Open existing = open.get(session.id());
        CallSession.State state = session.state();
        if (existing != null || state == CallSession.State.CLOSED || byAudio && state != CallSession.State.OPEN) {
            return existing;
        }
        return open.computeIfAbsent(session.id(), id -> {
            Map<String, Object> call = new LinkedHashMap<>(sessions.describe(session));
            call.put("session_id", id);
            RedactionSettings redaction = sessions.redaction();
            if (redaction.enabled()) {
                Map<String, Object> section = new LinkedHashMap<>();
                section.put("entities", redaction.entities().stream().map(Enum::name).sorted().toList());
                section.put("audio", redaction.audio().name().toLowerCase(java.util.Locale.ROOT));
                call.put("redaction", section);
            }
            SessionArchive files = archive.open(id, session.startedAt(), session.settings().channels(),
                    session.settings().format().sampleRate(), session.settings().format().encoding().wireName());
            files.writeCallJson(call);
            openSessions.opened(id, files.folder());
            return new Open(files, call, redaction.redactsAudio() ? new HeldAudio(files, redaction.audio(), redaction.maxHeldAudioMillis()) : null,
                    new ConcurrentHashMap<>());
        });
    }

    private void audio(CallSession session, Exchange exchange) {
        Open o = enabled && session.settings().record() ? openFor(session, true) : null;
        if (o == null || ParleyHeaders.FOR_RECOGNIZER.equals(exchange.getMessage().getHeader(ParleyHeaders.AUDIO_FOR))) {
            return; // not yet: see ParleyHeaders.AUDIO_FOR
        }
        Long gap = exchange.getMessage().getHeader(ParleyHeaders.AUDIO_GAP, Long.class);
        if (o.held() != null) {
            String channel = exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class);
            if (gap != null) {
                o.held().silence(channel, gap);
            } else {
                o.held().audio(channel, exchange.getMessage().getBody(byte[].class));
            }
        } else if (gap != null) {
            o.files().appendSilence(exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class), gap);
        } else {
            o.files().appendAudio(exchange.getMessage().getHeader(ParleyHeaders.CHANNEL, String.class),
                    exchange.getMessage().getBody(byte[].class));
        }
    }

    /**
     * A final was recorded: its redactions are counted, and, with audio redaction, the audio of its
     * utterance is written with its redacted words' spans masked.
     */
    private static void judged(Open o, SessionEvent event) {
        List<long[]> spans = new ArrayList<>();
        if (event.field("redactions") instanceof List<?> redactions) {
            for (Object r : redactions) {
                if (r instanceof Map<?, ?> span) {
                    o.redacted().merge(String.valueOf(span.get("type")), 1, Integer::sum);
                    if (span.get("audio_start_ms") instanceof Number from && span.get("audio_end_ms") instanceof Number to) {
                        spans.add(new long[] {from.longValue(), to.longValue()});
                    }
                }
            }
        }
        if (o.held() != null && event.endMs() != null) {
            o.held().judged(event.channel(), event.endMs(), spans);
        }
    }

    /**
     * Closes the files of sessions still open when Parley stops (a shutdown drains them first, so
     * normally none). Their {@code call.json} does not claim an end that no {@code session.closed}
     * told of: they stay marked open, and the next start closes them through the event routes.
     */
    @Override
    protected void doStop() throws Exception {
        open.values().forEach(o -> o.files().close(null));
        open.clear();
        super.doStop();
    }
}
