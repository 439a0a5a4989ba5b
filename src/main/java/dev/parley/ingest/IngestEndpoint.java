package dev.parley.ingest;

import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.util.function.BiFunction;

/** The endpoint of a WebSocket entry point: consumer only ({@code from: listen:/v1/listen}, {@code from: twilio:/twilio/media}). */
public final class IngestEndpoint extends DefaultEndpoint {

    private final BiFunction<IngestEndpoint, Processor, WebSocketIngest> consumers;

    public IngestEndpoint(String uri, Component component,
                          BiFunction<IngestEndpoint, Processor, WebSocketIngest> consumers) {
        super(uri, component);
        this.consumers = consumers;
    }

    @Override
    public Producer createProducer() {
        throw new IllegalArgumentException(getEndpointUri() + " is a consumer only (from: " + getEndpointUri() + ")");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        WebSocketIngest consumer = consumers.apply(this, processor);
        configureConsumer(consumer);
        return consumer;
    }
}
