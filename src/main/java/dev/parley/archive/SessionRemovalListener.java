package dev.parley.archive;

/**
 * Told when a session's archive is removed, after its files are gone: whatever else holds the
 * session (a search index of the archive) removes it too. Called on the thread that removed it;
 * must not throw for a session it does not know.
 */
public interface SessionRemovalListener {

    /** Why a session was removed. */
    enum Cause {
        /** Erased on request: {@code DELETE /api/sessions/{id}} or by metadata. */
        ERASED,
        /** Older than {@code parley.archive.retention-days}. */
        EXPIRED
    }

    void sessionRemoved(String sessionId, Cause cause);
}
