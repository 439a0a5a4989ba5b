/**
 * {@code /v1/realtime?intent=transcription}: OpenAI's GA Realtime transcription protocol served by
 * Parley's own recognizer, so that clients written for the service (the official SDKs among them)
 * work against Parley by changing their base URL.
 *
 * <p>Client events: {@code session.update} (format {@code audio/pcm} at 24 kHz, {@code audio/pcmu} or
 * {@code audio/pcma}; transcription model, language, prompt; {@code turn_detection} {@code server_vad},
 * {@code semantic_vad} or {@code null}; noise reduction and include are accepted and shown),
 * {@code input_audio_buffer.append}, {@code .commit}, {@code .clear}. Server events:
 * {@code session.created}, {@code session.updated}, {@code input_audio_buffer.speech_started},
 * {@code .speech_stopped}, {@code .committed}, {@code .cleared}, {@code conversation.item.added},
 * {@code conversation.item.input_audio_transcription.delta}, {@code .completed} and {@code error},
 * with the service's error codes ({@code invalid_json}, {@code invalid_value},
 * {@code missing_required_parameter}, {@code input_audio_buffer_commit_empty}, ...). Parley's own
 * errors (capacity, idle timeout, overloaded) come as {@code error} events with Parley's code.
 *
 * <p>Each connection is a Parley session ({@code ingest: realtime}), opened with its first audio:
 * archived, sent to webhooks and translated like any other (query {@code targets}, {@code record},
 * {@code meta.*}). What a client sends faster than real time (a file) is held and recognised at the
 * pace of real time rather than dropped; past {@code parley.openai-realtime.max-held-audio-s} of it,
 * the socket is paused. Authentication as {@code /v1/listen}: a Parley token or an API key; a refused
 * upgrade gets HTTP 401 with the service's error body.
 */
package dev.parley.ingest.openai;
