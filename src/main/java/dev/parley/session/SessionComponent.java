package dev.parley.session;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * A session's steps in routes: {@code to: session:client} sends the event in the body to its
 * session's own client; {@code to: session:emit} emits the {@link SessionEvent.Draft} in the body as
 * the session's next event (a translation, say), which then travels {@code parley:events} like any other.
 */
public final class SessionComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        return switch (remaining) {
            case "client" -> StepEndpoint.of(uri, this, (session, exchange) ->
                    session.client().send(session.forClient(exchange.getMessage().getMandatoryBody(SessionEvent.class))));
            case "emit" -> StepEndpoint.of(uri, this, (session, exchange) ->
                    session.emit(exchange.getMessage().getMandatoryBody(SessionEvent.Draft.class)));
            default -> throw new IllegalArgumentException(
                    "Unknown session endpoint '" + remaining + "'; use session:client or session:emit"
                            + " (events are consumed from parley:events)");
        };
    }
}
