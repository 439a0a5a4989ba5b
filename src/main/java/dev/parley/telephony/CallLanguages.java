package dev.parley.telephony;

import dev.parley.session.ClientText;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The languages of a telephony call: what the customer and the agent speak, and what each one's
 * words are translated into. A call's own parameters win over the configured defaults
 * ({@code parley.telephony.*}). A party's targets default to the other party's language when the two
 * differ, else to {@code parley.translation.targets}.
 */
public final class CallLanguages {

    public static final String CUSTOMER = "customer";
    public static final String AGENT = "agent";
    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}");

    /** A call whose languages cannot work; the message says what to change. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    private final String customer;
    private final String agent;
    private final List<String> customerTargets;
    private final List<String> agentTargets;
    private final List<String> fallbackTargets;
    private final Set<String> recognizable;
    private final String recognizer;

    /**
     * @param customerTargets configured targets of the customer's words, or null for the rule above
     * @param agentTargets    the same for the agent
     * @param recognizable    languages the configured recognizer knows
     */
    public CallLanguages(String customer, String agent, List<String> customerTargets, List<String> agentTargets,
                         List<String> fallbackTargets, Set<String> recognizable, String recognizer) {
        this.customer = customer;
        this.agent = agent;
        this.customerTargets = customerTargets;
        this.agentTargets = agentTargets;
        this.fallbackTargets = List.copyOf(fallbackTargets);
        this.recognizable = Set.copyOf(recognizable);
        this.recognizer = recognizer;
    }

    /**
     * Checks the configured defaults at start-up: a language the recognizer cannot hear stops Parley
     * with a message naming the key.
     */
    public void checkDefaults() {
        check("parley.telephony.customer-language", customer);
        check("parley.telephony.agent-language", agent);
    }

    private void check(String key, String language) {
        if (!recognizable.contains(language)) {
            throw new IllegalArgumentException(key + "=" + language + ": the '" + recognizer
                    + "' recognizer knows only " + String.join(", ", new java.util.TreeSet<>(recognizable))
                    + ". Set " + key + " to one of those, or choose a recognizer that knows " + language
                    + " (parley.recognizer=openai).");
        }
    }

    /** Per-channel source languages and targets of one call, from its parameters (keys {@code customer_language}, ...). */
    public Resolved resolve(Map<String, String> params, List<String> channels) throws Invalid {
        String c = language(params, "customer_language", customer);
        String a = language(params, "agent_language", agent);
        Map<String, String> sources = new LinkedHashMap<>();
        Map<String, List<String>> targets = new LinkedHashMap<>();
        for (String channel : channels) {
            String own = channel.equals(AGENT) ? a : c;
            String other = channel.equals(AGENT) ? c : a;
            if (!recognizable.contains(own)) {
                throw new Invalid("the " + channel + " speaks '" + own + "' but the '" + recognizer
                        + "' recognizer knows only " + String.join(", ", new java.util.TreeSet<>(recognizable)));
            }
            sources.put(channel, own);
            List<String> configured = channel.equals(AGENT) ? agentTargets : customerTargets;
            String key = channel + "_targets";
            List<String> t;
            if (params.containsKey(key)) {
                t = list(params.get(key), key);
            } else if (configured != null) {
                t = configured;
            } else if (!other.equals(own)) {
                t = List.of(other);
            } else {
                t = fallbackTargets;
            }
            targets.put(channel, t.stream().filter(x -> !x.equals(own)).distinct().toList());
        }
        return new Resolved(sources, targets);
    }

    /**
     * Null when a stream joining a call agrees with the languages the call was opened with, else which
     * parameter differs. A joining stream may repeat the call's parameters, not change them: its
     * channels are already being recognised and translated.
     */
    public static String disagreement(Map<String, String> params, Resolved call) throws Invalid {
        for (String channel : call.sources().keySet()) {
            String key = channel + "_language";
            String spoken = call.sources().get(channel);
            String given = language(params, key, spoken);
            if (!given.equals(spoken)) {
                return key + "=" + given + ", but in this conversation the " + channel + " speaks " + spoken;
            }
            key = channel + "_targets";
            if (params.containsKey(key)) {
                Set<String> targets = new java.util.TreeSet<>(list(params.get(key), key));
                targets.remove(spoken);
                Set<String> current = new java.util.TreeSet<>(call.targets().get(channel));
                if (!targets.equals(current)) {
                    return key + "=" + String.join(",", targets) + ", but in this conversation the " + channel
                            + "'s words are translated into " + (current.isEmpty() ? "nothing" : String.join(",", current));
                }
            }
        }
        return null;
    }

    /** Languages and targets per channel. */
    public record Resolved(Map<String, String> sources, Map<String, List<String>> targets) {
        public String first() {
            return sources.values().iterator().next();
        }
    }

    private static String language(Map<String, String> params, String key, String fallback) throws Invalid {
        String value = params.get(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        String code = normalise(value);
        if (code == null) {
            throw new Invalid(key + " must be a language code such as en or es-MX; got '" + ClientText.shorten(value, 24) + "'");
        }
        return code;
    }

    /** {@code en-US} and {@code en} are both {@code en}; null if not a language tag. */
    public static String normalise(String tag) {
        String primary = tag.trim().toLowerCase(java.util.Locale.ROOT).split("[-_]")[0];
        return LANGUAGE.matcher(primary).matches() ? primary : null;
    }

    private static List<String> list(String value, String key) throws Invalid {
        List<String> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String code = normalise(p);
            if (code == null) {
                throw new Invalid(key + " must be language codes separated by commas, e.g. es,ca");
            }
            out.add(code);
        }
        return out;
    }

    /** Parses a comma-separated list of languages from configuration; null when unset. */
    public static List<String> configured(String value) {
        if (value == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }
}
