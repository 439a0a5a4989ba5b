package dev.parley.http;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The served certificate on {@code /observe/health}: up with a warning when it expires within
 * {@link TlsCertificate#WARN_WITHIN} (the server still works, so it stays in rotation), down once it has
 * expired (no client will connect). A readiness check only: a restart does not renew a certificate.
 */
public final class TlsCertificateCheck extends AbstractHealthCheck {

    private final TlsReloader tls;
    private final Clock clock;

    public TlsCertificateCheck(TlsReloader tls, Clock clock) {
        super("parley", "tls-certificate");
        this.tls = tls;
        this.clock = clock;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        TlsCertificate certificate = tls.current();
        Instant now = clock.instant();
        builder.detail("subject", certificate.leaf().getSubjectX500Principal().getName());
        builder.detail("names", String.join(",", TlsCertificate.names(certificate.leaf())));
        builder.detail("not_after", certificate.notAfter().toString());
        builder.detail("days_left", Duration.between(now, certificate.notAfter()).toDays());
        builder.detail("file", tls.settings().cert().toString());
        builder.detail("expires_soon", certificate.expiryWarning(now).isPresent());
        certificate.expiryWarning(now).ifPresent(builder::message);
        if (now.isAfter(certificate.notAfter())) {
            builder.down();
        } else {
            builder.up();
        }
    }
}
