package dev.parley.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** An event in a route reads as its envelope in every language Camel has, and converts to the envelope's JSON. */
class EventConvertersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SessionEvent FINAL = new SessionEvent(SessionEvent.of("transcript.final").itemId("item_3")
            .channel("customer").language("en").text("my card is lost").span(1200, 2950)
            .field("session", Map.of("metadata", Map.of("call_id", "A-1"))),
            "evt_abc", "ses_xyz", 7, Instant.parse("2026-12-06T10:00:00Z"));
    private static final String ENVELOPE = "{\"type\":\"transcript.final\",\"v\":1,\"event_id\":\"evt_abc\","
            + "\"session_id\":\"ses_xyz\",\"seq\":7,\"emitted_at\":\"2026-12-06T10:00:00Z\",\"item_id\":\"item_3\","
            + "\"channel\":\"customer\",\"language\":\"en\",\"text\":\"my card is lost\",\"start_ms\":1200,"
            + "\"end_ms\":2950,\"session\":{\"metadata\":{\"call_id\":\"A-1\"}}}";
    private static CamelContext camel;

    @BeforeAll
    static void start() throws Exception {
        camel = new DefaultCamelContext();
        EventConverters.register(camel.getTypeConverterRegistry());
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:marshal").marshal().json();
            }
        });
        camel.start();
    }

    @AfterAll
    static void stop() {
        camel.stop();
    }

    @Test
    void textBytesAndStreamsAreTheEnvelopesJsonInItsDocumentedOrder() throws Exception {
        assertEquals(ENVELOPE, convert(String.class));
        assertEquals(ENVELOPE, new String(convert(byte[].class), StandardCharsets.UTF_8));
        try (InputStream in = convert(InputStream.class)) {
            assertEquals(ENVELOPE, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(ENVELOPE, FINAL.toString(), "a log line shows the envelope, not a map dump");
    }

    @Test
    void aJacksonTreeAndAMapHoldTheFields() {
        JsonNode tree = convert(JsonNode.class);
        assertEquals("customer", tree.path("channel").asText());
        assertEquals(2950, tree.path("end_ms").asLong());
        Map<?, ?> map = convert(Map.class);
        assertEquals(List.of("type", "v", "event_id", "session_id", "seq", "emitted_at", "item_id", "channel", "language",
                "text", "start_ms", "end_ms", "session"), List.copyOf(map.keySet()));
    }

    @Test
    void simpleJsonPathAndJqReadItsFields() {
        assertEquals("customer", evaluate("simple", "${body[channel]}"));
        assertEquals("A-1", evaluate("simple", "${body[session][metadata][call_id]}"));
        assertEquals("customer", evaluate("jsonpath", "$.channel"));
        assertEquals("my card is lost", evaluate("jq", ".text"));
    }

    @Test
    void marshalJsonGivesTheSameEnvelope() throws Exception {
        String marshalled = camel.createProducerTemplate().requestBody("direct:marshal", FINAL, String.class);
        assertEquals(JSON.readTree(ENVELOPE), JSON.readTree(marshalled));
        assertFalse(marshalled.contains("{type="));
    }

    private static <T> T convert(Class<T> type) {
        return camel.getTypeConverter().convertTo(type, FINAL);
    }

    private static String evaluate(String language, String expression) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(FINAL);
        Object value = camel.resolveLanguage(language).createExpression(expression).evaluate(exchange, Object.class);
        return value instanceof JsonNode node ? node.asText() : String.valueOf(value);
    }
}
