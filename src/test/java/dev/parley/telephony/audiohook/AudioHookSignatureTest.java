package dev.parley.telephony.audiohook;

import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9421 signatures as Genesys signs an AudioHook upgrade: vectors built here by the RFC's rules, and published ones. */
class AudioHookSignatureTest {

    private static final String KEY = "audiohook-api-key";
    private static final byte[] SECRET = "a client secret of 32 bytes!!!!!".getBytes(StandardCharsets.UTF_8);
    private static final long NOW = 1_700_000_000L;

    /** A request to /audiohook, signed per RFC 9421 section 2.5 with HMAC-SHA256 (built here, not by the code under test). */
    private static AudioHookSignature.Request signed(String nonce, Long created, Long expires) {
        String params = "(\"@request-target\" \"@authority\" \"x-api-key\");keyid=\"" + KEY + "\""
                + (nonce == null ? "" : ";nonce=\"" + nonce + "\"") + ";alg=\"hmac-sha256\""
                + (created == null ? "" : ";created=" + created) + (expires == null ? "" : ";expires=" + expires);
        String base = "\"@request-target\": /audiohook?x=1\n\"@authority\": parley.example.com\n\"x-api-key\": " + KEY
                + "\n\"@signature-params\": " + params;
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-api-key", KEY);
        headers.put("signature-input", "sig1=" + params);
        headers.put("signature", "sig1=:" + Base64.getEncoder().encodeToString(hmacSha256(SECRET, base)) + ":");
        return request("/audiohook", "x=1", "parley.example.com", headers);
    }

    private static AudioHookSignature.Request request(String path, String query, String authority, Map<String, String> headers) {
        return new AudioHookSignature.Request("GET", "https", authority, path, query, name -> headers.entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst().orElse(null));
    }

    private static byte[] hmacSha256(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSignatureOverTheRequestTargetVerifiesAndAnyChangeToTheRequestBreaksIt() {
        AudioHookSignature signatures = new AudioHookSignature();
        assertNull(signatures.verify(signed("nonce-1", NOW, NOW + 30), KEY, SECRET, NOW));

        AudioHookSignature.Request other = signed("nonce-2", NOW, NOW + 30);
        AudioHookSignature.Request otherQuery = new AudioHookSignature.Request("GET", "https", "parley.example.com",
                "/audiohook", "x=2", other.header());
        assertEquals("signature does not verify", signatures.verify(otherQuery, KEY, SECRET, NOW));
        assertEquals("signature does not verify", signatures.verify(other, KEY, "another secret".getBytes(), NOW));
        assertEquals("keyid is not the X-API-KEY", signatures.verify(other, "another-key", SECRET, NOW));
    }

    @Test
    void aReplayedNonceIsRefusedWhileTheSignatureIsGood() {
        AudioHookSignature signatures = new AudioHookSignature();
        AudioHookSignature.Request upgrade = signed("VGhpc0lzQVVuaXF1ZU5vbmNl", NOW, NOW + 30);
        assertNull(signatures.verify(upgrade, KEY, SECRET, NOW));
        assertEquals("nonce already used: a replayed signature", signatures.verify(upgrade, KEY, SECRET, NOW + 5));
        assertNull(signatures.verify(signed("another-nonce", NOW, NOW + 30), KEY, SECRET, NOW + 5));
        // Once the window is over the replay is refused as expired, and the nonce may be forgotten.
        String late = signatures.verify(upgrade, KEY, SECRET, NOW + 30 + AudioHookSignature.SKEW_S + 1);
        assertTrue(late.startsWith("signature expired"), late);
    }

    @Test
    void createdAndExpiresAreHeldToTenSecondsOfClockSkewAndSixtySecondsOfAge() {
        AudioHookSignature signatures = new AudioHookSignature();
        long skew = AudioHookSignature.SKEW_S;
        long age = AudioHookSignature.MAX_AGE_S;
        assertEquals(10, skew);
        assertEquals(60, age);
        assertNull(signatures.verify(signed("future-ok", NOW + skew, NOW + skew + 30), KEY, SECRET, NOW));
        assertTrue(signatures.verify(signed("future", NOW + skew + 1, NOW + skew + 31), KEY, SECRET, NOW)
                .startsWith("signature created 11 s in the future"));
        assertNull(signatures.verify(signed("expired-ok", NOW - 40, NOW - skew), KEY, SECRET, NOW));
        assertTrue(signatures.verify(signed("expired", NOW - 40, NOW - skew - 1), KEY, SECRET, NOW)
                .startsWith("signature expired 11 s ago"));
        // A far expires does not make a signature good for longer than the maximum age.
        assertNull(signatures.verify(signed("old-ok", NOW - age - skew, NOW + 3600), KEY, SECRET, NOW));
        assertTrue(signatures.verify(signed("old", NOW - age - skew - 1, NOW + 3600), KEY, SECRET, NOW)
                .startsWith("signature expired 11 s ago"));
        assertTrue(signatures.verify(signed("no-expires", NOW - age - skew - 1, null), KEY, SECRET, NOW)
                .startsWith("signature expired"));
        assertEquals("the signature has no created parameter", signatures.verify(signed("no-created", null, NOW + 30), KEY, SECRET, NOW));
        assertEquals("the signature has no nonce parameter", signatures.verify(signed(null, NOW, NOW + 30), KEY, SECRET, NOW));
    }

    @Test
    void rememberedNoncesAreBoundedAndForgottenOnceTheirSignatureHasExpired() {
        AudioHookSignature signatures = new AudioHookSignature(2);
        assertNull(signatures.verify(signed("a", NOW, NOW + 30), KEY, SECRET, NOW));
        assertNull(signatures.verify(signed("b", NOW, NOW + 30), KEY, SECRET, NOW));
        String full = signatures.verify(signed("c", NOW, NOW + 30), KEY, SECRET, NOW);
        assertTrue(full.startsWith("too many signatures still within their validity window"), full);
        // A signature that does not verify takes no room and is refused for what it is.
        assertEquals("signature does not verify", signatures.verify(signed("d", NOW, NOW + 30), KEY, new byte[32], NOW));

        long later = NOW + 30 + AudioHookSignature.SKEW_S + 1;
        assertNull(signatures.verify(signed("c", later, later + 30), KEY, SECRET, later));
        assertNull(signatures.verify(signed("a", later, later + 30), KEY, SECRET, later));
    }

    @Test
    void theRfc9421HmacExampleGivesThePublishedSignature() {
        // RFC 9421 appendix B.2.5 (request of B.2, shared secret of B.1.5).
        byte[] key = Base64.getDecoder().decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==");
        Map<String, String> headers = Map.of("Date", "Tue, 20 Apr 2021 02:07:55 GMT", "Content-Type", "application/json");
        String base = AudioHookSignature.signatureBase(request("/foo", "param=Value&Pet=dog", "example.com", headers),
                List.of("date", "@authority", "content-type"),
                "(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"");
        assertEquals("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=",
                Base64.getEncoder().encodeToString(AudioHookSignature.hmac(key, base)));
    }

    @Test
    void theAudioHookDocumentationExampleVerifies() {
        // The example of Genesys's AudioHook documentation, as the reference implementation's tests carry it.
        String input = "sig1=(\"@request-target\" \"@authority\" \"audiohook-organization-id\" \"audiohook-session-id\" "
                + "\"audiohook-correlation-id\" \"x-api-key\");keyid=\"SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\";"
                + "nonce=\"VGhpc0lzQVVuaXF1ZU5vbmNl\";alg=\"hmac-sha256\";created=1641013200;expires=3282026430";
        Map<String, String> headers = Map.of(
                "Host", "audiohook.example.com",
                "Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05",
                "Audiohook-Session-Id", "30b0e395-84d3-4570-ac13-9a62d8f514c0",
                "Audiohook-Correlation-Id", "e160e428-53e2-487c-977d-96989bf5c99d",
                "X-API-KEY", "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh",
                "Signature-Input", input,
                "Signature", "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:");
        byte[] secret = Base64.getDecoder().decode("TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=");
        AudioHookSignature signatures = new AudioHookSignature();
        var upgrade = request("/api/v1/voicebiometrics/ws", null, "audiohook.example.com", headers);
        assertNull(signatures.verify(upgrade, "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh", secret, 1641013200L + 1));
        assertEquals("nonce already used: a replayed signature",
                signatures.verify(upgrade, "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh", secret, 1641013200L + 2));
    }

    @Test
    void aHeaderThatDoesNotParseIsMalformedNotAnExceptionOfItsOwn() {
        AudioHookSignature signatures = new AudioHookSignature();
        AudioHookSignature.Request good = signed("parse-ok", NOW, NOW + 30);
        String input = good.header().apply("Signature-Input");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("sig1=(\"@request-target\");created=\"abc\";nonce=\"n\"", "created must be a non-negative integer");
        bad.put(input.replace(";created=" + NOW, ";created=-5"), "created must be a non-negative integer");
        bad.put(input.replace(";created=" + NOW, ";created=12345678901234567890"), "inner list");
        bad.put(input.replace("alg=\"hmac-sha256\"", "alg=hmac"), "inner list");
        bad.put(input.replace("nonce=\"parse-ok\"", "nonce=7"), "nonce must be a quoted string");
        bad.put(input + ";keyid=\"again\"", "keyid twice");
        bad.put(input.replace("(", "[").replace(")", "]"), "inner list");
        bad.put(input.replace("\"@authority\"", "@authority"), "inner list");
        bad.put(input + ", sig2=()", "inner list");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            Map<String, String> headers = Map.of("x-api-key", KEY, "signature-input", b.getKey(),
                    "signature", good.header().apply("Signature"));
            AudioHookSignature.Malformed e = assertThrows(AudioHookSignature.Malformed.class,
                    () -> signatures.verify(request("/audiohook", "x=1", "parley.example.com", headers), KEY, SECRET, NOW), b.getKey());
            assertTrue(e.getMessage().contains(b.getValue()), b.getKey() + ": " + e.getMessage());
        }
        for (String signature : List.of("sig1=:***:", "sig2=:AAAA:", "sig1=AAAA")) {
            Map<String, String> headers = Map.of("x-api-key", KEY, "signature-input", input, "signature", signature);
            assertThrows(AudioHookSignature.Malformed.class,
                    () -> signatures.verify(request("/audiohook", "x=1", "parley.example.com", headers), KEY, SECRET, NOW), signature);
        }
        assertNull(signatures.verify(good, KEY, SECRET, NOW), "the well-formed one still verifies");
    }
}
