package dev.parley.session;

import java.time.Duration;

/**
 * Bounds that keep one session from hurting the others. All come from {@code parley.session.*}.
 *
 * @param maxSessions       sessions open at once before new ones are refused with {@code capacity}
 * @param reservedForTrusted of those, how many sessions opened with a token cannot take: they are
 *                          for sessions with an API key and telephony
 * @param maxQueuedAudio    unprocessed audio a channel may hold before it drops frames
 * @param maxAhead          how far ahead of real time a channel's audio may arrive before it drops frames
 * @param idleTimeout       how long a session may receive no audio before it is ended
 * @param maxDuration       how long a session may last at most
 * @param levelWindow       how long input must stay silent or clipped before a warning
 */
public record SessionLimits(int maxSessions, int reservedForTrusted, Duration maxQueuedAudio, Duration maxAhead, Duration idleTimeout,
                            Duration maxDuration, Duration levelWindow) {
}
