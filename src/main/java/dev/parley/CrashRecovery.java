package dev.parley;

import dev.parley.archive.OpenSessions;
import dev.parley.archive.TranscriptArchive;
import dev.parley.session.SessionRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Closes, once Parley's routes run, the sessions that a crash (or a {@code kill -9}) of an earlier
 * Parley on this archive left open: each gets its {@code session.closed} (reason {@code server_crashed},
 * {@code seq} one past its last archived event, per channel the audio the archive holds) through the
 * event routes, so the archive, the webhooks and every other route hear of it as of any other end;
 * the temp files of writes the crash interrupted are removed. Which sessions were left open is read
 * before Parley takes any session ({@link OpenSessions}), so no live session is ever among them.
 */
final class CrashRecovery implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(CrashRecovery.class);

    private final List<OpenSessions.LeftOpen> leftOpen;
    private final OpenSessions openSessions;
    private final TranscriptArchive archive;
    private final SessionRegistry sessions;

    CrashRecovery(List<OpenSessions.LeftOpen> leftOpen, OpenSessions openSessions, TranscriptArchive archive,
                  SessionRegistry sessions) {
        this.leftOpen = List.copyOf(leftOpen);
        this.openSessions = openSessions;
        this.archive = archive;
        this.sessions = sessions;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        int closed = 0;
        for (OpenSessions.LeftOpen left : leftOpen) {
            try {
                TranscriptArchive.LeftOpenSession s = archive.inspect(left);
                if (s == null) {
                    openSessions.closed(left.sessionId()); // its session.closed was archived before the crash
                    continue;
                }
                Map<String, Object> audio = new LinkedHashMap<>();
                for (Object channel : (List<?>) s.call().get("channels")) {
                    audio.put(String.valueOf(channel), Map.of("duration_ms", s.audioMillis()));
                }
                sessions.closeLeftOpen(s.call(), s.lastSeq(), audio);
                closed++;
            } catch (Exception e) {
                LOG.error("Cannot close session {} that a crash left open in {}: {}", left.sessionId(), left.folder(), e.toString());
                openSessions.closed(left.sessionId()); // not again at every start
            }
        }
        if (closed > 0) {
            LOG.warn("Closed {} session(s) that an earlier Parley left open when it stopped without closing them "
                    + "(session.closed, reason server_crashed)", closed);
        }
    }
}
