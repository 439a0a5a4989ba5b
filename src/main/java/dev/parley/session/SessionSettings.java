package dev.parley.session;

import dev.parley.audio.AudioFormat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a session was opened with, as the client and the server's configuration decided it.
 *
 * @param ingest   which entry point the audio comes through, e.g. {@code listen}
 * @param source   ISO 639-1 language spoken (on every channel that {@code channelSources} does not name)
 * @param targets  ISO 639-1 languages to translate into; empty for none (for every channel that
 *                 {@code channelTargets} does not name)
 * @param format   the audio's encoding and rate as sent
 * @param channels the call's channels, e.g. {@code [speaker]} or {@code [customer, agent]}
 * @param metadata caller metadata such as an external call id, kept with the session
 * @param record   whether the caller consented to recording: archive and webhooks only then
 * @param channelSources per channel, the language spoken there when it differs from {@code source}
 * @param channelTargets per channel, the languages its finals are translated into when they differ
 *                 from {@code targets}
 */
public record SessionSettings(String ingest, String source, List<String> targets, AudioFormat format,
                              List<String> channels, Map<String, String> metadata, boolean record,
                              Map<String, String> channelSources, Map<String, List<String>> channelTargets) {

    public SessionSettings {
        targets = List.copyOf(targets);
        channels = List.copyOf(channels);
        metadata = Map.copyOf(metadata);
        channelSources = Map.copyOf(channelSources);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        channelTargets.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        channelTargets = Map.copyOf(copy);
    }

    /** One language and one list of targets for every channel. */
    public SessionSettings(String ingest, String source, List<String> targets, AudioFormat format,
                           List<String> channels, Map<String, String> metadata, boolean record) {
        this(ingest, source, targets, format, channels, metadata, record, Map.of(), Map.of());
    }

    /** The language spoken on a channel. */
    public String sourceOf(String channel) {
        return channel == null ? source : channelSources.getOrDefault(channel, source);
    }

    /** The languages a channel's finals are translated into. */
    public List<String> targetsOf(String channel) {
        return channel == null ? targets : channelTargets.getOrDefault(channel, targets);
    }
}
