package dev.parley.recipes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.testing.ListenClient;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recipe examples/routes/translations-to-crm.camel.yaml on the packaged jar: docs/recipes.md, "POST every translation to a CRM". */
@Timeout(180)
class TranslationsToCrmRecipeIT {

    /** What a Java object's toString looks like: a class name, then @ and a hash. */
    private static final Pattern JAVA_OBJECT = Pattern.compile("[a-z]+(\\.[a-z]+)+\\.[A-Z]\\w*@[0-9a-f]+");
    /** Headers HTTP itself (the client library) sends. */
    private static final Set<String> HTTP_HEADERS = Set.of("host", "content-type", "content-length", "transfer-encoding",
            "connection", "user-agent", "accept-encoding", "accept", "expect", "keep-alive");
    /** The headers docs/recipes.md says a sink receives from Parley. */
    private static final Set<String> PARLEY_HEADERS = Set.of("parleyeventtype", "parleysessionid", "parleychannel", "parleytargets");

    @Test
    void eachTranslationIsPostedAsItsEnvelopeWithJsonContentTypeAndOnlyParleysDocumentedHeaders() throws Exception {
        Path dir = Recipes.folderWith("translations-to-crm", "translations-to-crm.camel.yaml");
        try (CrmReceiver crm = new CrmReceiver();
             // The URL comes from the environment: CRM_URL is the route's {{crm.url}}.
             PackagedParley parley = PackagedParley.start(dir, Map.of("CRM_URL", crm.url()));
             ListenClient client = Recipes.say(parley.ws("/v1/listen?targets=es,ca"), "0880")) {
            List<JsonNode> translations = client.events("translation.final");
            assertFalse(translations.isEmpty(), "the client got translations: " + client.types());
            assertTrue(Recipes.eventually(Duration.ofSeconds(20), () -> crm.requests().size() >= translations.size()),
                    "the CRM got one request per translation: " + crm.requests().size() + " of " + translations.size());
            Thread.sleep(500); // nothing more comes
            assertEquals(translations.size(), crm.requests().size(), "one request per translation.final, and only those");

            System.out.println("A CRM request's headers: " + crm.requests().get(0).headers());
            Map<String, JsonNode> sent = new HashMap<>();
            translations.forEach(t -> sent.put(t.path("event_id").asText(), t));
            for (CrmReceiver.Request request : crm.requests()) {
                assertEquals("POST", request.method());
                assertEquals("/crm/events", request.path());
                assertTrue(request.header("Content-Type").startsWith("application/json"), request.headers().toString());
                JsonNode body = request.json();
                assertEquals(sent.get(body.path("event_id").asText()), body, "the body is the envelope the client received");

                assertEquals("translation.final", request.header("ParleyEventType"));
                assertEquals(Recipes.sessionId(client), request.header("ParleySessionId"));
                assertEquals("speaker", request.header("ParleyChannel"));
                assertEquals("es,ca", request.header("ParleyTargets"));
                request.headers().forEach((name, values) -> values.forEach(value ->
                        assertFalse(JAVA_OBJECT.matcher(value).find(), "a Java object in header " + name + ": " + value)));
                Set<String> others = request.headers().keySet().stream().map(n -> n.toLowerCase(Locale.ROOT))
                        .filter(n -> !HTTP_HEADERS.contains(n)).collect(Collectors.toCollection(TreeSet::new));
                assertEquals(new TreeSet<>(PARLEY_HEADERS), others, "beside HTTP's own, only Parley's documented headers: "
                        + request.headers());
            }
        }
    }
}
