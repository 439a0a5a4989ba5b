package dev.parley;

import dev.parley.realtime.Recognizer;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/**
 * Parley is ready when it can take another session now: its warm decoders are built, and not every
 * stream the recognizer allows is in use. A full Parley reports itself not ready, so that a load
 * balancer sends new calls elsewhere.
 */
final class RecognizerReadiness extends AbstractHealthCheck {

    private final Recognizer recognizer;

    RecognizerReadiness(Recognizer recognizer) {
        super("parley", "recognizer");
        this.recognizer = recognizer;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("engine", recognizer.name());
        builder.detail("streams.capacity", recognizer.capacity());
        builder.detail("streams.in_use", recognizer.inUse());
        boolean warm = recognizer.ready() || recognizer.inUse() > 0;
        if (!warm) {
            builder.message("the recognizer's decoder pool is still warming up").down();
        } else if (recognizer.inUse() >= recognizer.capacity()) {
            builder.message("every recognizer stream is in use").down();
        } else {
            builder.up();
        }
    }
}
