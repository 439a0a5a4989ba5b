package dev.parley.realtime;

import dev.parley.Config;
import dev.parley.realtime.openai.OpenAiRecognizer;
import dev.parley.realtime.openai.OpenAiRecognizerSettings;
import dev.parley.realtime.pocketsphinx.PocketSphinxRecognizer;
import dev.parley.realtime.pocketsphinx.PocketSphinxSettings;

/** Builds the recognizer that {@code parley.recognizer} names. */
public final class Recognizers {

    private Recognizers() {
    }

    /** {@code parley.state.dir}: what Parley learns and keeps across restarts (the recognizer's priors). */
    public static java.nio.file.Path stateDir(Config config) {
        return java.nio.file.Path.of(config.string("parley.state.dir", "state"));
    }

    public static Recognizer create(Config config) {
        String name = config.string("parley.recognizer", "pocketsphinx");
        return switch (name) {
            case "pocketsphinx" -> new PocketSphinxRecognizer(PocketSphinxSettings.fromProperties(config.lookup()),
                    stateDir(config));
            case "openai" -> new OpenAiRecognizer(OpenAiRecognizerSettings.fromProperties(config.lookup()));
            case "none" -> new NoRecognizer();
            default -> throw Config.invalid("parley.recognizer", name, "one of: pocketsphinx, openai, none");
        };
    }
}
