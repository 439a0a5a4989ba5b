package dev.parley;

import dev.parley.realtime.Recognizer;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Parley is ready when it can take another session now: its warm-up is done (its warm decoders
 * built and run once, see {@link Warmup}), and not every
 * stream the recognizer allows is in use. A full Parley reports itself not ready, so that a load
 * balancer sends new calls elsewhere.
 */
final class RecognizerReadiness extends AbstractHealthCheck {

    private final Recognizer recognizer;
    private final BooleanSupplier warmedUp;
    private final BooleanSupplier draining;

    RecognizerReadiness(Recognizer recognizer, BooleanSupplier warmedUp, BooleanSupplier draining) {
        super("parley", "recognizer");
        this.recognizer = recognizer;
        this.warmedUp = warmedUp;
        this.draining = draining;
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
        if (draining.getAsBoolean()) {
            builder.message("Parley is shutting down: it takes no new session").down();
            return;
        }
        if (!warmedUp.getAsBoolean()) {
            builder.message("Parley is warming up (parley.recognizer.warmup)").down();
            return;
        }
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
