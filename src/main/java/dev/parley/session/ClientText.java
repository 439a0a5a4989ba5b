package dev.parley.session;

/** Text a client sent, quoted back in an error or close reason: cut short, so a reason stays small. */
public final class ClientText {

    private ClientText() {
    }

    /** {@code text}, or its first {@code max} characters and "..." when it is longer. */
    public static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }
}
