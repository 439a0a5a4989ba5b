package dev.parley.tts;

import dev.parley.metrics.ParleyMeters;
import dev.parley.session.SessionEvent;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultComponent;

import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code tts:speak}: speaks the {@code translation.final} in the body and leaves a {@code tts.audio}
 * draft in the body (the WAV as base64), or an {@code error} draft naming the item. It never blocks
 * the route: the exchange continues when the synthesizer answers.
 */
public final class SpeakComponent extends DefaultComponent {

    private final Synthesizer synthesizer;
    private final ParleyMeters meters;

    public SpeakComponent(Synthesizer synthesizer, ParleyMeters meters) {
        this.synthesizer = synthesizer;
        this.meters = meters;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"speak".equals(remaining)) {
            throw new IllegalArgumentException("Unknown tts endpoint '" + remaining + "'; use tts:speak");
        }
        return StepEndpoint.async(uri, this, (session, exchange) -> speak(exchange));
    }

    private CompletionStage<?> speak(Exchange exchange) {
        SessionEvent translation = exchange.getMessage().getBody(SessionEvent.class);
        long start = System.nanoTime();
        return synthesizer.speak(translation.text(), translation.language()).handle((speech, failure) -> {
            meters.speech(synthesizer.name(), System.nanoTime() - start, failure == null);
            SessionEvent.Draft result;
            if (failure == null) {
                result = SessionEvent.of("tts.audio").itemId(translation.itemId()).channel(translation.channel())
                        .language(translation.language()).field("format", "wav")
                        .field("sample_rate", speech.sampleRate()).field("duration_ms", speech.durationMillis())
                        .field("audio", Base64.getEncoder().encodeToString(speech.wav()));
            } else {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                result = SessionEvent.of("error").itemId(translation.itemId()).channel(translation.channel())
                        .language(translation.language()).field("code", "tts_failed")
                        .field("message", "Speaking " + translation.itemId() + " in " + translation.language()
                                + " failed: " + cause.getMessage());
            }
            exchange.getMessage().setBody(result);
            return null;
        });
    }
}
