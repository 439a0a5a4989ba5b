package dev.parley.translate;

/**
 * Plain text to Apertium's stream format and back: what {@code apertium-destxt} and
 * {@code apertium-retxt} do for the {@code txt} format, done in Java so that the warm pipeline needs
 * no deformatter process per request (the deformatters do not flush on {@code \0}).
 */
final class ApertiumText {

    /** Characters with a meaning in the stream format; destxt escapes exactly these. */
    private static final String SPECIAL = "\\[]^$/@<>{}";

    private ApertiumText() {
    }

    /**
     * An utterance in stream format. Whitespace runs (line breaks included) become one space and
     * control characters are dropped: a {@code \0} in the text would end the request early.
     * {@code ~} goes into a superblank as destxt puts it, because post-generation reads a bare
     * {@code ~} as its own mark. The trailing {@code .[]} is destxt's: it ends the last sentence, so
     * the tagger and transfer treat it as complete; {@link #decode} drops it again.
     */
    static String encode(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        boolean space = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                space = out.length() > 0;
                continue;
            }
            if (Character.isISOControl(c)) {
                continue;
            }
            if (space) {
                out.append(' ');
                space = false;
            }
            if (SPECIAL.indexOf(c) >= 0) {
                out.append('\\').append(c);
            } else if (c == '~') {
                out.append("[~]");
            } else {
                out.append(c);
            }
        }
        return out.append(".[]").toString();
    }

    /** Stream format back to text: escapes resolved, superblanks opened, destxt's {@code .[]} removed. */
    static String decode(String stream) {
        StringBuilder out = new StringBuilder(stream.length());
        for (int i = 0; i < stream.length(); i++) {
            char c = stream.charAt(i);
            if (c == '\\' && i + 1 < stream.length()) {
                out.append(stream.charAt(++i));
            } else if (c == '[' && i + 1 < stream.length() && stream.charAt(i + 1) == ']'
                    && out.length() > 0 && out.charAt(out.length() - 1) == '.') {
                out.setLength(out.length() - 1);
                i++;
            } else if (c != '[' && c != ']' && c != '\0') {
                out.append(c);
            }
        }
        return out.toString().strip();
    }
}
