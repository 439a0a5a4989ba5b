package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

final class Failures {

    private Failures() {
    }

    /** The exception a future completed with, which {@link Translator} promises is a bare TranslationException. */
    static TranslationException failureOf(CompletableFuture<?> future) throws Exception {
        Throwable t = future.handle((value, error) -> error).get(20, TimeUnit.SECONDS);
        assertNotNull(t, () -> "expected a failure, got " + future.join());
        return assertInstanceOf(TranslationException.class, t);
    }
}
