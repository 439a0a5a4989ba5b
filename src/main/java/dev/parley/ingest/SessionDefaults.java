package dev.parley.ingest;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a session on an ingest path gets when its client does not say: Parley's settings
 * ({@code parley.listen.default-source}, {@code parley.translation.targets}, {@code parley.record.default}),
 * then the route's own options ({@code listen:/callcenter?targets=ca&record=false}). A client may
 * override them, except that it can never turn recording on where the route turned it off.
 */
public record SessionDefaults(String source, List<String> targets, boolean record, boolean recordAllowed) {

    private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}");

    public SessionDefaults(String source, List<String> targets, boolean record) {
        this(source, targets, record, true);
    }

    /** Whether a session is recorded when its client asked for {@code asked}. */
    public boolean record(boolean asked) {
        return recordAllowed && asked;
    }

    /** These defaults with a route's options over them; a bad option stops start-up, naming the endpoint. */
    public SessionDefaults with(IngestEndpoint endpoint, Set<String> sources) {
        String source = this.source;
        if (endpoint.getSource() != null) {
            source = endpoint.getSource().trim();
            if (!sources.contains(source)) {
                throw new IllegalArgumentException(endpoint.getEndpointUri() + ": source '" + source
                        + "' is not a language the recognizer knows; it knows " + String.join(",", sources));
            }
        }
        List<String> targets = this.targets;
        if (endpoint.getTargets() != null) {
            targets = Arrays.stream(endpoint.getTargets().split(",")).map(String::trim).filter(t -> !t.isEmpty())
                    .distinct().toList();
            for (String target : targets) {
                if (!LANGUAGE.matcher(target).matches()) {
                    throw new IllegalArgumentException(endpoint.getEndpointUri()
                            + ": targets are ISO 639-1 codes separated by commas, e.g. es,ca; not '" + target + "'");
                }
            }
        }
        Boolean routeRecord = endpoint.getRecord();
        return new SessionDefaults(source, targets, routeRecord != null ? routeRecord : record,
                routeRecord == null || routeRecord);
    }
}
