package dev.parley.ingest;

import org.apache.camel.Category;
import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.util.function.BiFunction;

/**
 * The endpoint of a WebSocket entry point: consumer only ({@code from: listen:/v1/listen},
 * {@code from: twilio:/twilio/media}). Its options set what sessions on the path get when their
 * client does not say; {@code listen:} and {@code openai-realtime:} take all three, the telephony
 * endpoints {@code record} only (their parties' languages are {@code parley.telephony.*}).
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "listen,openai-realtime,twilio,audiohook",
        title = "Parley WebSocket ingest", syntax = "listen:path", consumerOnly = true, category = {Category.NETWORKING})
public final class IngestEndpoint extends DefaultEndpoint {

    private final BiFunction<IngestEndpoint, Processor, WebSocketIngest> consumers;

    @UriPath(description = "The HTTP path the WebSocket is served on, e.g. /v1/listen")
    private String path;
    @UriParam(description = "Language spoken when the client does not say (listen, openai-realtime)")
    private String source;
    @UriParam(description = "Target languages when the client does not say, comma-separated; empty for none (listen, openai-realtime)")
    private String targets;
    @UriParam(description = "Whether sessions are archived and sent to webhooks when the client does not say;"
            + " false: never, whatever the client asks")
    private Boolean record;

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

    /** Refuses the language options on endpoints whose languages come from elsewhere. */
    public void recordOnly() {
        if (source != null || targets != null) {
            throw new IllegalArgumentException(getEndpointUri() + ": source and targets do not apply here; the parties'"
                    + " languages are set with parley.telephony.* (or per call); this endpoint takes record");
        }
    }

    /** Whether a session is recorded when its client does not say: the route's option, else {@code fallback}. */
    public boolean recordDefault(boolean fallback) {
        return record != null ? record : fallback;
    }

    /** False where the route says {@code record=false}: no client can turn recording on. */
    public boolean recordAllowed() {
        return record == null || record;
    }

    public String getPath() { return path; }
    public void setPath(String path) { this.path = path; }
    public String getSource() { return source; }
    public void setSource(String source) { this.source = source; }
    public String getTargets() { return targets; }
    public void setTargets(String targets) { this.targets = targets; }
    public Boolean getRecord() { return record; }
    public void setRecord(Boolean record) { this.record = record; }
}
