package dev.parley.telephony;

import dev.parley.telephony.twilio.TwilioSignature;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** X-Twilio-Signature of a Media Streams upgrade: which URL Twilio signs, and how. */
class TwilioSignatureTest {

    @Test
    void aUrlWithoutPostParametersIsSignedAsTwiliosOwnValidatorSignsIt() {
        // Twilio's helper library test vector (twilio-java RequestValidatorTest, auth token "12345"):
        // a request without POST parameters is signed over its URL alone, as an upgrade is.
        String url = "https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assertEquals("y77kIzt2vzLz71DgmJGsen2scGs=", TwilioSignature.sign("12345", url));
    }

    @Test
    void theSignedUrlIsTheWssUrlOfTheStreamWithAndWithoutItsPort() {
        assertEquals(List.of("wss://parley.example.com/twilio/media", "wss://parley.example.com:443/twilio/media"),
                TwilioSignature.upgradeUrls(null, "parley.example.com", "/twilio/media"));
        assertEquals(List.of("wss://parley.example.com:8443/twilio/media", "wss://parley.example.com/twilio/media"),
                TwilioSignature.upgradeUrls(null, "parley.example.com:8443", "/twilio/media"));
        assertEquals(List.of("wss://[2001:db8::1]:8443/twilio/media", "wss://[2001:db8::1]/twilio/media"),
                TwilioSignature.upgradeUrls(null, "[2001:db8::1]:8443", "/twilio/media"));
    }

    @Test
    void theConfiguredPublicUrlWinsOverTheHostHeader() {
        assertEquals(List.of("wss://calls.example.com/parley/twilio", "wss://calls.example.com:443/parley/twilio"),
                TwilioSignature.upgradeUrls("wss://calls.example.com/parley/twilio", "10.0.0.7:8080", "/twilio/media"));
    }

    @Test
    void onlyASignatureOfOneOfThoseUrlsWithTheAccountsTokenVerifies() {
        List<String> urls = TwilioSignature.upgradeUrls(null, "parley.example.com", "/twilio/media");
        assertTrue(TwilioSignature.verify("token", TwilioSignature.sign("token", "wss://parley.example.com/twilio/media"), urls));
        assertTrue(TwilioSignature.verify("token", TwilioSignature.sign("token", "wss://parley.example.com:443/twilio/media"), urls));
        assertFalse(TwilioSignature.verify("token", TwilioSignature.sign("token", "https://parley.example.com/twilio/media"), urls));
        assertFalse(TwilioSignature.verify("token", TwilioSignature.sign("token", "wss://parley.example.com/twilio/media?a=1"), urls));
        assertFalse(TwilioSignature.verify("token", TwilioSignature.sign("other", "wss://parley.example.com/twilio/media"), urls));
        assertFalse(TwilioSignature.verify("token", "", urls));
    }
}
