package dev.parley.tts;

/** Speech synthesis failed; the message is fit to show to the session's client. */
public class SynthesisException extends RuntimeException {
    public SynthesisException(String message) {
        super(message);
    }

    public SynthesisException(String message, Throwable cause) {
        super(message, cause);
    }
}
