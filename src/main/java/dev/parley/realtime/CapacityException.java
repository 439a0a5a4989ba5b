package dev.parley.realtime;

/** Every decoder of an engine is in use; the caller should refuse the session, not wait. */
public class CapacityException extends Exception {
    public CapacityException(String message) {
        super(message);
    }
}
