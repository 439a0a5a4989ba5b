package dev.parley.session;

import java.security.SecureRandom;

/** Identifiers made by the server: random, unguessable, and safe as file and folder names. */
final class Ids {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    static String session() {
        return "ses_" + random(20);
    }

    static String event() {
        return "evt_" + random(20);
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }
}
