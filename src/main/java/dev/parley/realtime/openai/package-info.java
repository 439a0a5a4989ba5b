/**
 * The {@code openai} recognizer ({@code parley.recognizer=openai}): each call channel streams to
 * OpenAI's GA Realtime transcription service, {@code <base-url>/realtime?intent=transcription}, or
 * to any server speaking that protocol (Parley's own {@code /v1/realtime} among them).
 *
 * <p>Settings, {@code parley.recognizer.openai.*}: {@code base-url} ({@code wss://api.openai.com/v1}),
 * {@code api-key} (else the environment's {@code OPENAI_API_KEY}; never logged), {@code model}
 * ({@code gpt-4o-transcribe}), {@code language} (the session's; {@code auto} to detect), {@code prompt},
 * {@code turn-detection} ({@code server_vad}, {@code semantic_vad}, {@code none}),
 * {@code vad-threshold}, {@code vad-prefix-padding-ms}, {@code vad-silence-duration-ms},
 * {@code vad-eagerness}, {@code noise-reduction}, {@code telephony-format} ({@code pcmu}: 8 kHz
 * channels as G.711 mu-law without resampling), {@code languages}, {@code max-streams},
 * {@code max-buffered-audio-ms} (20000), {@code reconnect-initial-backoff-ms} (250),
 * {@code reconnect-max-backoff-ms} (10000), {@code connect-timeout-ms}, {@code finish-timeout-ms}.
 *
 * <p>Mapping: {@code ...transcription.delta} becomes {@code transcript.partial} (the text so far),
 * {@code .completed} becomes {@code transcript.final} timed by the item's {@code speech_started} and
 * {@code speech_stopped}; {@code error} and {@code .failed} become {@code error}
 * ({@code recognizer_failed}). Reconnection and buffering: see {@link dev.parley.realtime.openai.OpenAiStream}.
 */
package dev.parley.realtime.openai;
