package dev.parley.telephony;

import dev.parley.Config;
import dev.parley.http.HttpServer;
import dev.parley.realtime.Recognizer;
import dev.parley.session.SessionRegistry;
import dev.parley.telephony.audiohook.AudioHookComponent;
import dev.parley.telephony.twilio.TwilioComponent;
import org.apache.camel.CamelContext;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Registers the telephony endpoints, {@code twilio:} and {@code audiohook:}, from {@code parley.telephony.*}, {@code parley.twilio.*} and {@code parley.audiohook.*}. */
public final class Telephony {

    private Telephony() {
    }

    public static void register(CamelContext context, Config config, HttpServer http, SessionRegistry sessions,
                                Recognizer recognizer, List<String> defaultTargets) {
        String defaultSource = config.string("parley.listen.default-source", "en");
        CallLanguages languages = new CallLanguages(
                CallLanguages.normalise(config.string("parley.telephony.customer-language", defaultSource)),
                CallLanguages.normalise(config.string("parley.telephony.agent-language", defaultSource)),
                CallLanguages.configured(config.string("parley.telephony.customer-targets", null)),
                CallLanguages.configured(config.string("parley.telephony.agent-targets", null)),
                defaultTargets, recognizer.languages(), recognizer.name());
        languages.checkDefaults();
        String publicUrl = config.string("parley.twilio.public-url", null);
        if (publicUrl != null && !publicUrl.matches("wss://[^/?#]+/[^?#]*")) {
            // Twilio signs the wss:// URL of the <Stream>, which has no query string.
            throw Config.invalid("parley.twilio.public-url", publicUrl,
                    "the wss:// URL of the <Stream>, without a query string, e.g. wss://parley.example.com/twilio/media");
        }
        String clientSecret = config.string("parley.audiohook.client-secret", null);
        if (clientSecret != null && !clientSecret.isBlank()) {
            try {
                java.util.Base64.getDecoder().decode(clientSecret);
            } catch (IllegalArgumentException e) {
                throw Config.invalid("parley.audiohook.client-secret", "(not shown)", "the integration's client secret in base64");
            }
        }
        boolean record = config.bool("parley.record.default", true);
        boolean authRequired = config.bool("parley.auth.required", true);

        context.addComponent("twilio", new TwilioComponent(http, sessions, new TwilioComponent.Settings(
                config.string("parley.twilio.auth-token", null), publicUrl,
                authRequired, record, languages,
                config.integer("parley.twilio.barge-in-ms", 200, 20, 5000), 800)));
        context.addComponent("audiohook", new AudioHookComponent(http, sessions, new AudioHookComponent.Settings(
                Set.copyOf(list(config.string("parley.audiohook.api-keys", ""))),
                clientSecret, authRequired, record, languages,
                config.seconds("parley.audiohook.max-position-jump-s", 60, 1, 3600),
                recognizer.languageTags(), config.bool("parley.audiohook.transcripts", false))));
    }

    private static List<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }
}
