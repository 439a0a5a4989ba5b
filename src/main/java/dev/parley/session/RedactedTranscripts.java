package dev.parley.session;

import dev.parley.privacy.Entity;
import dev.parley.privacy.RedactionSettings;
import dev.parley.privacy.Redactor;
import dev.parley.realtime.WordTime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A session's text on its way out, redacted ({@code parley.redaction.*}): partials, finals,
 * translations and keyed digits. Each final is judged with the channel's previous one as context;
 * a final that ends in a number is held until the channel's next final (or the hold time), so a
 * number spoken across two utterances is judged whole. Partials spoken while one is held are judged
 * with it. Events say what was redacted and where ({@code redactions}), never the values.
 */
final class RedactedTranscripts {

    private static final ScheduledExecutorService HOLD_TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "parley-redaction-hold");
        t.setDaemon(true);
        return t;
    });

    private final RedactionSettings settings;
    private final Redactor redactor;
    private final Consumer<SessionEvent.Draft> out;
    private final Map<String, Channel> channels = new HashMap<>();
    /** The placeholders of recent finals, by item, in order: their translations get them back as they were. */
    private final Map<String, List<String>> placeholders = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > 256;
        }
    };
    private static final Pattern BRACKETED = Pattern.compile("\\[[^\\]\\[]{1,40}]");

    /** A channel's last final (context for the next) and the final held back, if any. */
    private static final class Channel {
        String previous = "";
        SessionEvent.Draft held;
        String heldText;
        List<WordTime> heldTimes;
        ScheduledFuture<?> timer;
    }

    RedactedTranscripts(RedactionSettings settings, Consumer<SessionEvent.Draft> out) {
        this.settings = settings;
        this.redactor = new Redactor(settings.entities());
        this.out = out;
    }

    boolean enabled() {
        return settings.enabled();
    }

    void partial(String channel, SessionEvent.Draft draft, String text) {
        if (!enabled()) {
            out.accept(draft.text(text));
            return;
        }
        synchronized (this) {
            Channel ch = channel(channel);
            List<String> said = new ArrayList<>(List.of(ch.previous));
            if (ch.held != null) {
                said.add(ch.heldText);
            }
            said.add(text);
            List<Redactor.Redacted> judged = redactor.judge(said, true);
            out.accept(redacted(draft, text, judged.get(judged.size() - 1), null));
        }
    }

    /** @param times where each word of {@code text} was spoken, or null when the engine does not say */
    void complete(String channel, SessionEvent.Draft draft, String text, List<WordTime> times) {
        if (!enabled()) {
            out.accept(draft.text(text));
            return;
        }
        synchronized (this) {
            Channel ch = channel(channel);
            if (ch.held != null) {
                ch.timer.cancel(false);
                List<Redactor.Redacted> judged = redactor.judge(List.of(ch.previous, ch.heldText, text), false);
                out.accept(redacted(ch.held, ch.heldText, judged.get(1), ch.heldTimes));
                ch.previous = ch.heldText;
                ch.held = null;
            }
            if (settings.holdMillis() > 0 && redactor.endsInNumber(text)) {
                ch.held = draft;
                ch.heldText = text;
                ch.heldTimes = times;
                ch.timer = HOLD_TIMER.schedule(() -> release(channel), settings.holdMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            out.accept(redacted(draft, text, redactor.judge(List.of(ch.previous, text), false).get(1), times));
            ch.previous = text;
        }
    }

    /** Emits the channel's held final, judged on its own: no more of it came (the channel ended, or the hold is over). */
    synchronized void release(String channel) {
        Channel ch = channels.get(channel);
        if (ch == null || ch.held == null) {
            return;
        }
        ch.timer.cancel(false);
        out.accept(redacted(ch.held, ch.heldText, redactor.judge(List.of(ch.previous, ch.heldText), false).get(1),
                ch.heldTimes));
        ch.previous = ch.heldText;
        ch.held = null;
    }

    synchronized void releaseAll() {
        List.copyOf(channels.keySet()).forEach(this::release);
    }

    /**
     * A draft emitted into the session from outside its recognizer: a translation is redacted on its
     * own (its source was already), and a key pressed on the phone hidden when cards are redacted.
     */
    SessionEvent.Draft outgoing(SessionEvent.Draft draft) {
        if (!enabled()) {
            return draft;
        }
        if (draft.type().equals("translation.final") && draft.text() != null) {
            return redacted(draft, draft.text(), redactor.redact(untranslated(draft.itemId(), draft.text())), null);
        }
        if (draft.type().equals("dtmf") && settings.entities().contains(Entity.CARD)) {
            return draft.field("digit", "*").field("redactions", List.of(Map.of("type", Entity.CARD.name())));
        }
        return draft;
    }

    /**
     * A translation with its source's placeholders as they were: a translator may translate them too
     * ({@code [CARD]} as {@code [CARTA]}), the n-th bracketed word being the n-th placeholder.
     */
    private String untranslated(String itemId, String translation) {
        List<String> expected;
        synchronized (this) {
            expected = placeholders.get(itemId);
        }
        if (expected == null) {
            return translation;
        }
        Matcher m = BRACKETED.matcher(translation);
        StringBuilder out = new StringBuilder();
        int n = 0;
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(n < expected.size() ? expected.get(n) : m.group()));
            n++;
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The draft with the redacted text, and its {@code redactions}: each placeholder's entity and
     * offsets in the text and, for a final, where its words were spoken ({@code audio_start_ms},
     * {@code audio_end_ms}; the whole utterance's span when the engine gives no word times).
     */
    private SessionEvent.Draft redacted(SessionEvent.Draft draft, String original, Redactor.Redacted redacted,
                                        List<WordTime> times) {
        draft.text(redacted.text());
        if (redacted.changed()) {
            List<Map<String, Object>> spans = new ArrayList<>();
            for (int i = 0; i < redacted.spans().size(); i++) {
                Redactor.Span s = redacted.spans().get(i);
                Redactor.Words words = redacted.words().get(i);
                Map<String, Object> span = new LinkedHashMap<>();
                span.put("type", s.entity().name());
                span.put("start", s.start());
                span.put("end", s.end());
                if (times != null && words.last() < times.size()) {
                    span.put("audio_start_ms", times.get(words.first()).startMs());
                    span.put("audio_end_ms", times.get(words.last()).endMs());
                } else if (draft.startMs() != null && draft.type().equals("transcript.final")) {
                    span.put("audio_start_ms", draft.startMs());
                    span.put("audio_end_ms", draft.endMs());
                }
                spans.add(span);
            }
            draft.field("redactions", spans);
            if (draft.type().equals("transcript.final")) {
                synchronized (this) {
                    placeholders.put(draft.itemId(), redacted.spans().stream().map(sp -> sp.entity().placeholder()).toList());
                }
            }
            if (settings.speakerSeesOriginal()) {
                draft.original(original);
            }
        }
        return draft;
    }

    private Channel channel(String name) {
        return channels.computeIfAbsent(name, n -> new Channel());
    }
}
