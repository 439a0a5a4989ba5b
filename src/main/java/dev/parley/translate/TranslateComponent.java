package dev.parley.translate;

import dev.parley.metrics.ParleyMeters;
import dev.parley.session.ParleyProperties;
import dev.parley.session.SessionEvent;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code translate:final}: translates the {@code transcript.final} in the exchange property
 * {@link ParleyProperties#EVENT} into the language in the body, and leaves a {@code translation.final}
 * draft in the body (or an {@code error} draft naming the item). It never blocks the route: the
 * exchange continues when the translator answers.
 */
public final class TranslateComponent extends DefaultComponent {

    private final Translator translator;
    private final ParleyMeters meters;

    public TranslateComponent(Translator translator, ParleyMeters meters) {
        this.translator = translator;
        this.meters = meters;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"final".equals(remaining)) {
            throw new IllegalArgumentException("Unknown translate endpoint '" + remaining + "'; use translate:final");
        }
        return StepEndpoint.async(uri, this, (session, exchange) -> translate(exchange));
    }

    private CompletionStage<?> translate(Exchange exchange) {
        SessionEvent source = exchange.getProperty(ParleyProperties.EVENT, SessionEvent.class);
        String target = exchange.getMessage().getBody(String.class);
        long start = System.nanoTime();
        return translator.translate(source.text(), source.language(), target).handle((text, failure) -> {
            meters.translation(translator.name(), System.nanoTime() - start, failure == null);
            SessionEvent.Draft result;
            if (failure == null) {
                result = SessionEvent.of("translation.final").itemId(source.itemId()).channel(source.channel())
                        .language(target).text(text).span(source.startMs(), source.endMs());
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                result = SessionEvent.of("error").itemId(source.itemId()).channel(source.channel()).language(target)
                        .field("code", "translation_failed")
                        .field("message", "Translating " + source.itemId() + " into " + target + " failed: " + cause.getMessage());
            }
            exchange.getMessage().setBody(result);
            return null;
        });
    }
}
