package dev.parley.session;

import dev.parley.audio.AudioFormat;

import java.util.List;
import java.util.Map;

/**
 * What a session was opened with, as the client and the server's configuration decided it.
 *
 * @param ingest   which entry point the audio comes through, e.g. {@code listen}
 * @param source   ISO 639-1 language spoken
 * @param targets  ISO 639-1 languages to translate into; empty for none
 * @param format   the audio's encoding and rate as sent
 * @param channels the call's channels, e.g. {@code [speaker]} or {@code [customer, agent]}
 * @param metadata caller metadata such as an external call id, kept with the session
 * @param record   whether the caller consented to recording: archive and webhooks only then
 */
public record SessionSettings(String ingest, String source, List<String> targets, AudioFormat format,
                              List<String> channels, Map<String, String> metadata, boolean record) {

    public SessionSettings {
        targets = List.copyOf(targets);
        channels = List.copyOf(channels);
        metadata = Map.copyOf(metadata);
    }
}
