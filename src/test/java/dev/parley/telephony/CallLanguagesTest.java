package dev.parley.telephony;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A call's languages: what its parameters may ask of the recognizer, and what a joining stream may not change. */
class CallLanguagesTest {

    private static final List<String> BOTH = List.of(CallLanguages.CUSTOMER, CallLanguages.AGENT);
    private final CallLanguages offline = new CallLanguages("en", "en", null, null, List.of("es"), Set.of("en"), "pocketsphinx");
    private final CallLanguages cloud = new CallLanguages("en", "en", null, null, List.of("es"), Set.of("en", "es"), "openai");

    @Test
    void aLanguageTheRecognizerCannotHearIsRefusedNamingTheRecognizer() {
        CallLanguages.Invalid e = assertThrows(CallLanguages.Invalid.class,
                () -> offline.resolve(Map.of("customer_language", "es"), BOTH));
        assertEquals("the customer speaks 'es' but the 'pocketsphinx' recognizer knows only en", e.getMessage());
        IllegalArgumentException startup = assertThrows(IllegalArgumentException.class, () ->
                new CallLanguages("es", "en", null, null, List.of(), Set.of("en"), "pocketsphinx").checkDefaults());
        assertTrue(startup.getMessage().startsWith("parley.telephony.customer-language=es:"), startup.getMessage());
        assertTrue(startup.getMessage().contains("parley.recognizer=openai"), startup.getMessage());
    }

    @Test
    void withARecognizerThatKnowsBothEachPartysWordsGoToTheOthersLanguage() throws Exception {
        CallLanguages.Resolved r = cloud.resolve(Map.of("customer_language", "es-MX"), BOTH);
        assertEquals(Map.of("customer", "es", "agent", "en"), r.sources());
        assertEquals(Map.of("customer", List.of("en"), "agent", List.of("es")), r.targets());
    }

    @Test
    void aJoiningStreamMayRepeatTheCallsLanguagesButNotChangeThem() throws Exception {
        CallLanguages.Resolved call = cloud.resolve(Map.of("customer_language", "es", "agent_targets", "es,ca"), BOTH);
        assertNull(CallLanguages.disagreement(Map.of(), call));
        assertNull(CallLanguages.disagreement(Map.of("customer_language", "es-ES", "agent_language", "en",
                "agent_targets", "ca, es, en", "customer_targets", "en"), call));
        assertEquals("agent_language=es, but in this conversation the agent speaks en",
                CallLanguages.disagreement(Map.of("agent_language", "es"), call));
        assertEquals("customer_language=en, but in this conversation the customer speaks es",
                CallLanguages.disagreement(Map.of("customer_language", "en"), call));
        assertEquals("agent_targets=es, but in this conversation the agent's words are translated into ca,es",
                CallLanguages.disagreement(Map.of("agent_targets", "es"), call));
        assertThrows(CallLanguages.Invalid.class, () -> CallLanguages.disagreement(Map.of("agent_language", "1"), call));
    }
}
