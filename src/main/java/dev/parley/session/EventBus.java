package dev.parley.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The publish-subscribe stream of every session's events: what {@code parley:events} routes consume.
 * Each session hands its events here one at a time, in {@code seq} order. The record stage (the
 * archive, the webhook spool) takes each event first, synchronously; only then is it published to
 * every other consumer's own bounded queue, so a slow or failing consumer delays neither the session
 * nor the others. A session waits only for the consumers that hold it (translation, speech, its
 * client) before it closes. The warm-up's rehearsal sessions reach only the consumers that take them.
 */
public final class EventBus {

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    /** A consumer of the stream: one route that starts {@code from: parley:events...}. */
    interface Subscriber {
        boolean wants(String type);

        /** True for the record stage: the event is taken before it is published. */
        boolean records();

        /** True when the session may not close while this consumer still works on one of its events. */
        boolean holdsSession();

        /** True when this consumer also takes the warm-up's rehearsal sessions ({@link CallSession#rehearsal()}). */
        boolean takesRehearsals();

        /** Record stage: takes the event before anyone else hears of it. */
        void record(CallSession session, SessionEvent event);

        /** Publish stage: queues the event; {@code done} runs once the consumer's route completes it (or drops it). */
        void publish(CallSession session, SessionEvent event, Runnable done);
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    void subscribe(Subscriber subscriber) {
        subscribers.add(subscriber);
    }

    void unsubscribe(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    /** Records, then publishes, one event; {@code done} runs once every consumer that holds the session is done with it. */
    void deliver(CallSession session, SessionEvent event, Runnable done) {
        if (subscribers.isEmpty()) {
            LOG.warn("No route consumes parley:events; {} went nowhere", event.describe());
        }
        boolean rehearsal = session.rehearsal();
        for (Subscriber s : subscribers) {
            if (s.records() && s.wants(event.type()) && (!rehearsal || s.takesRehearsals())) {
                s.record(session, event);
            }
        }
        AtomicInteger pending = new AtomicInteger(1);
        Runnable release = () -> {
            if (pending.decrementAndGet() == 0) {
                done.run();
            }
        };
        for (Subscriber s : subscribers) {
            if (!s.records() && s.wants(event.type()) && (!rehearsal || s.takesRehearsals())) {
                if (s.holdsSession()) {
                    pending.incrementAndGet();
                    s.publish(session, event, release);
                } else {
                    s.publish(session, event, () -> { });
                }
            }
        }
        release.run();
    }
}
