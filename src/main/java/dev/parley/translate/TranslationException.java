package dev.parley.translate;

/** A translation failed; the message is fit to show to the session's client. */
public class TranslationException extends RuntimeException {
    public TranslationException(String message) {
        super(message);
    }

    public TranslationException(String message, Throwable cause) {
        super(message, cause);
    }
}
