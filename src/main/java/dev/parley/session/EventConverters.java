package dev.parley.session;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.apache.camel.TypeConversionException;
import org.apache.camel.spi.TypeConverterRegistry;
import org.apache.camel.support.TypeConverterSupport;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Teaches Camel that an event converts to its envelope JSON: as text, bytes, a stream (what file,
 * http and kafka write) and a Jackson tree (what jq reads). Without them Camel would write a map's
 * {@code {type=...}} dump. As a map, an event needs no converter for Simple or JSONPath.
 */
public final class EventConverters {

    private EventConverters() {
    }

    public static void register(TypeConverterRegistry registry) {
        add(registry, String.class, EventJson::write);
        add(registry, byte[].class, e -> EventJson.write(e).getBytes(StandardCharsets.UTF_8));
        add(registry, InputStream.class, e -> new ByteArrayInputStream(EventJson.write(e).getBytes(StandardCharsets.UTF_8)));
        add(registry, JsonNode.class, EventJson::tree);
    }

    private static <T> void add(TypeConverterRegistry registry, Class<T> to, Function<SessionEvent, T> convert) {
        registry.addTypeConverter(to, SessionEvent.class, new TypeConverterSupport() {
            @Override
            public <R> R convertTo(Class<R> type, Exchange exchange, Object value) throws TypeConversionException {
                return type.cast(convert.apply((SessionEvent) value));
            }
        });
    }
}
