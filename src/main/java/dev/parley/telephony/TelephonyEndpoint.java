package dev.parley.telephony;

import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.util.function.BiFunction;

/** A consumer-only endpoint ({@code from: twilio:/twilio/media}, {@code from: audiohook:/audiohook}). */
public final class TelephonyEndpoint extends DefaultEndpoint {

    private final BiFunction<TelephonyEndpoint, Processor, TelephonyConsumer> consumers;

    public TelephonyEndpoint(String uri, Component component, BiFunction<TelephonyEndpoint, Processor, TelephonyConsumer> consumers) {
        super(uri, component);
        this.consumers = consumers;
    }

    @Override
    public Producer createProducer() {
        throw new IllegalArgumentException(getEndpointUri() + " is a consumer only (from: " + getEndpointUri() + ")");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        TelephonyConsumer consumer = consumers.apply(this, processor);
        configureConsumer(consumer);
        return consumer;
    }
}
