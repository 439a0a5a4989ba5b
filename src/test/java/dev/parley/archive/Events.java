package dev.parley.archive;

import dev.parley.session.SessionEvent;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Emitted events for tests, stamped as a session would stamp them. */
final class Events {

    static final String SESSION = "ses_abcdefghijklmnopqrst";
    private static final AtomicLong SEQ = new AtomicLong();

    private Events() {
    }

    static SessionEvent emit(SessionEvent.Draft draft) {
        long seq = SEQ.incrementAndGet();
        return new SessionEvent(draft, "evt_" + seq, SESSION, seq, Instant.parse("2026-11-24T07:10:02.114Z"));
    }

    static SessionEvent fin(String item, String channel, String lang, String text, long start, long end) {
        return emit(SessionEvent.of("transcript.final").itemId(item).channel(channel).language(lang).text(text).span(start, end));
    }

    static SessionEvent translation(String item, String channel, String lang, String text, long start, long end) {
        return emit(SessionEvent.of("translation.final").itemId(item).channel(channel).language(lang).text(text).span(start, end));
    }
}
