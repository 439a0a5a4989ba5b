package dev.parley.session;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One route's subscription to {@code parley:events}. A record-stage route runs each event on the
 * session's own thread before the event is published. Any other route has its own threads and one
 * bounded queue: each session's events run one after another in {@code seq} order (the next starts
 * once the route's synchronous steps are done with the previous one), sessions side by side. The
 * bound counts every event not yet completed, waiting or in an asynchronous step (a delay, a Kafka
 * send awaiting its broker); when it is reached, events are dropped, counted and logged, never
 * kept without bound.
 */
public final class EventsConsumer extends DefaultConsumer implements EventBus.Subscriber {

    private static final Logger LOG = LoggerFactory.getLogger(EventsConsumer.class);
    private static final long OVERFLOW_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final EventsEndpoint endpoint;
    private final Set<String> types;
    private final Map<String, SerialExecutor> lanes = new ConcurrentHashMap<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong overflowed = new AtomicLong();
    private final AtomicLong lastOverflowLog = new AtomicLong(System.nanoTime() - OVERFLOW_LOG_INTERVAL_NANOS);
    private ExecutorService threads;

    EventsConsumer(EventsEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.types = endpoint.typeSet();
    }

    @Override
    public boolean wants(String type) {
        return types.isEmpty() || types.contains(type);
    }

    @Override
    public boolean records() {
        return endpoint.getStage().equals("record");
    }

    @Override
    public boolean holdsSession() {
        return endpoint.isHoldSession();
    }

    @Override
    public boolean takesRehearsals() {
        return endpoint.isWarmup();
    }

    @Override
    public void record(CallSession session, SessionEvent event) {
        Exchange exchange = exchangeOf(session, event);
        try {
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        count(exchange, event);
        releaseExchange(exchange, false);
    }

    @Override
    public void publish(CallSession session, SessionEvent event, Runnable done) {
        boolean last = event.type().equals("session.closed");
        if (queued.incrementAndGet() > endpoint.getQueueSize()) {
            queued.decrementAndGet();
            overflow(event);
            if (last) {
                lanes.remove(session.id());
            }
            done.run();
            return;
        }
        SerialExecutor lane = last ? lanes.remove(session.id()) : lanes.computeIfAbsent(session.id(), id -> new SerialExecutor(threads));
        (lane != null ? lane : new SerialExecutor(threads)).execute(() -> {
            Exchange exchange = exchangeOf(session, event);
            try {
                getAsyncProcessor().process(exchange, doneSync -> {
                    queued.decrementAndGet();
                    count(exchange, event);
                    releaseExchange(exchange, false);
                    done.run();
                });
            } catch (RuntimeException e) {
                queued.decrementAndGet();
                exchange.setException(e);
                count(exchange, event);
                done.run();
            }
        });
    }

    /** The exchange a route sees: the envelope as body, plain headers, Parley's objects as properties. */
    private Exchange exchangeOf(CallSession session, SessionEvent event) {
        Exchange exchange = createExchange(false);
        Message message = exchange.getMessage();
        message.setBody(event);
        message.setHeader(ParleyHeaders.EVENT_TYPE, event.type());
        message.setHeader(ParleyHeaders.SESSION_ID, session.id());
        if (event.channel() != null) {
            message.setHeader(ParleyHeaders.CHANNEL, event.channel());
        }
        message.setHeader(ParleyHeaders.TARGETS, String.join(",", session.settings().targetsOf(event.channel())));
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.setProperty(ParleyProperties.SESSION, session);
        exchange.setProperty(ParleyProperties.EVENT, event);
        return exchange;
    }

    private void count(Exchange exchange, SessionEvent event) {
        if (exchange.getException() == null) {
            delivered.incrementAndGet();
            return;
        }
        // The route's own error handler has logged it; one line more names the event it was.
        failed.incrementAndGet();
        LOG.warn("Route {} failed on {}: {}", getRouteId(), event.describe(), exchange.getException().toString());
    }

    private void overflow(SessionEvent event) {
        long total = overflowed.incrementAndGet();
        long last = lastOverflowLog.get();
        long now = System.nanoTime();
        if (now - last >= OVERFLOW_LOG_INTERVAL_NANOS && lastOverflowLog.compareAndSet(last, now)) {
            LOG.warn("Route {} is {} events behind (queueSize); {} dropped, {} events dropped in all so far",
                    getRouteId(), endpoint.getQueueSize(), event.describe(), total);
        }
    }

    /** Events accepted by this route and not yet completed: waiting, or in its steps. */
    public int queued() { return queued.get(); }

    /** Events this route completed. */
    public long delivered() { return delivered.get(); }

    /** Events this route failed on (after its own error handling). */
    public long failed() { return failed.get(); }

    /** Events dropped because this route's queue was full. */
    public long overflowed() { return overflowed.get(); }

    public String stage() { return endpoint.getStage(); }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (!records()) {
            // Unbounded here, since the queue bound is this route's own (queueSize): the pool holds one
            // task per session with events waiting, never more.
            ThreadPoolProfile profile = new ThreadPoolProfileBuilder("parley-events-" + getRouteId())
                    .poolSize(endpoint.getConcurrency()).maxPoolSize(endpoint.getConcurrency()).maxQueueSize(-1).build();
            threads = getEndpoint().getCamelContext().getExecutorServiceManager()
                    .newThreadPool(this, "parley-events-" + getRouteId(), profile);
        }
        endpoint.getComponent().started(this);
    }

    @Override
    protected void doStop() throws Exception {
        endpoint.getComponent().stopped(this);
        if (threads != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(threads);
        }
        super.doStop();
    }
}
