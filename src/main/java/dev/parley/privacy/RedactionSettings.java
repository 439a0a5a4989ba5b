package dev.parley.privacy;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * How a Parley redacts personal data ({@code parley.redaction.*}).
 *
 * @param entities            what is redacted; none: redaction is off
 * @param holdMillis          how long a final ending in a number waits for the channel's next final,
 *                            so that a number split across the two is judged whole
 * @param speakerSeesOriginal whether the speaker's own live client gets the text unredacted
 * @param audio               what replaces redacted words in {@code audio.wav}
 * @param maxHeldAudioMillis  the most audio of a channel held in memory until its final is judged;
 *                            older audio is written as silence
 */
public record RedactionSettings(Set<Entity> entities, long holdMillis, boolean speakerSeesOriginal, AudioMode audio,
                                long maxHeldAudioMillis) {

    /** What stands in {@code audio.wav} where a redacted word was spoken; {@code OFF}: the audio is kept as is. */
    public enum AudioMode { OFF, SILENCE, TONE }

    public static final RedactionSettings OFF = new RedactionSettings(Set.of(), 0, false, AudioMode.OFF, 0);

    public RedactionSettings {
        entities = entities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(entities));
    }

    public boolean enabled() {
        return !entities.isEmpty();
    }

    /** True when audio is held until its utterance is judged and its redacted words silenced. */
    public boolean redactsAudio() {
        return enabled() && audio != AudioMode.OFF;
    }

    /** Reads {@code parley.redaction.*}; an impossible value stops start-up naming the property. */
    public static RedactionSettings fromProperties(Function<String, String> lookup) {
        if (!"true".equals(trim(lookup.apply("parley.redaction.enabled")))) {
            return OFF;
        }
        String names = trim(lookup.apply("parley.redaction.entities"));
        Set<Entity> entities;
        try {
            entities = names == null ? EnumSet.allOf(Entity.class) : Entity.parse(names);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid setting parley.redaction.entities=" + names + ": " + e.getMessage());
        }
        long holdMillis = whole(lookup, "parley.redaction.hold-ms", 3000, 0, 60_000, "milliseconds");
        String audio = trim(lookup.apply("parley.redaction.audio"));
        AudioMode mode;
        try {
            mode = audio == null ? AudioMode.SILENCE : AudioMode.valueOf(audio.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid setting parley.redaction.audio=" + audio
                    + ": expected off, silence or tone");
        }
        long heldSeconds = whole(lookup, "parley.redaction.max-held-audio-s", 120, 10, 3600, "seconds");
        return new RedactionSettings(entities, holdMillis,
                "true".equals(trim(lookup.apply("parley.redaction.speaker-sees-original"))), mode, heldSeconds * 1000);
    }

    private static long whole(Function<String, String> lookup, String key, long byDefault, long min, long max, String unit) {
        String text = trim(lookup.apply(key));
        long value;
        try {
            value = text == null ? byDefault : Long.parseLong(text);
        } catch (NumberFormatException e) {
            value = min - 1;
        }
        if (value < min || value > max) {
            throw dev.parley.Config.invalid(key, text, "a whole number of " + unit + " from " + min + " to " + max);
        }
        return value;
    }

    private static String trim(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
