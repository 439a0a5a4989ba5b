package dev.parley.console;

import dev.parley.session.ParleyProperties;
import dev.parley.session.SessionEvent;
import dev.parley.session.StepEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/** The console in routes: {@code to: console:feed} hands each event to the staff's live feed ({@link LiveFeed}). */
public final class ConsoleComponent extends DefaultComponent {

    private final LiveFeed feed;

    public ConsoleComponent(LiveFeed feed) {
        this.feed = feed;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!remaining.equals("feed")) {
            throw new IllegalArgumentException("Unknown console endpoint '" + remaining + "'; use console:feed");
        }
        return StepEndpoint.of(uri, this, (session, exchange) ->
                feed.publish(exchange.getProperty(ParleyProperties.EVENT, SessionEvent.class)));
    }
}
