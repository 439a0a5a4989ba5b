package dev.parley.session;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultAsyncProducer;
import org.apache.camel.support.DefaultEndpoint;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * An endpoint that is one step of a session's route ({@code to: archive:record},
 * {@code to: translate:final}, ...): a producer only, acting on the exchange's {@link CallSession}.
 * A synchronous step finishes before the route goes on; an asynchronous one lets the route go on
 * when its work completes, without holding a thread.
 */
public final class StepEndpoint extends DefaultEndpoint {

    /** A step done on the calling thread. */
    @FunctionalInterface
    public interface Step {
        void apply(CallSession session, Exchange exchange) throws Exception;
    }

    /** A step whose work completes later; the route goes on when the stage completes. */
    @FunctionalInterface
    public interface AsyncStep {
        CompletionStage<?> apply(CallSession session, Exchange exchange);
    }

    private final AsyncStep step;

    private StepEndpoint(String uri, Component component, AsyncStep step) {
        super(uri, component);
        this.step = step;
    }

    public static StepEndpoint of(String uri, Component component, Step step) {
        return new StepEndpoint(uri, component, (session, exchange) -> {
            try {
                step.apply(session, exchange);
                return CompletableFuture.completedFuture(null);
            } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    public static StepEndpoint async(String uri, Component component, AsyncStep step) {
        return new StepEndpoint(uri, component, step);
    }

    @Override
    public Producer createProducer() {
        return new DefaultAsyncProducer(this) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                CallSession session = exchange.getProperty(ParleyProperties.SESSION, CallSession.class);
                if (session == null) {
                    exchange.setException(new IllegalArgumentException(getEndpointUri() + " needs the exchange property "
                            + ParleyProperties.SESSION + ", which parley:events and the ingest endpoints set"));
                    callback.done(true);
                    return true;
                }
                CompletableFuture<?> stage = step.apply(session, exchange).toCompletableFuture();
                if (stage.isDone()) {
                    finish(exchange, stage);
                    callback.done(true);
                    return true;
                }
                stage.whenComplete((result, failure) -> {
                    finish(exchange, stage);
                    callback.done(false);
                });
                return false;
            }
        };
    }

    private static void finish(Exchange exchange, CompletableFuture<?> stage) {
        if (stage.isCompletedExceptionally()) {
            stage.exceptionally(failure -> {
                exchange.setException(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
                return null;
            });
        }
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new IllegalArgumentException(getEndpointUri() + " is a step of a route (to: " + getEndpointUri() + ")");
    }
}
