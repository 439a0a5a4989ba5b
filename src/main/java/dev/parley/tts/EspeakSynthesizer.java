package dev.parley.tts;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The embedded, offline engine: eSpeak NG ({@code espeak-ng}, Debian package {@code espeak-ng}).
 *
 * <p>Each utterance runs one {@code espeak-ng -v <voice> -s <wpm> -b 1 --stdout} process with the
 * text on its standard input, never in its arguments or a shell, so user text cannot become an
 * option or a command. A process costs about 15 ms here, isolates eSpeak's global, non-thread-safe
 * state, and is killed on timeout. eSpeak's {@code [[phonemes]]} input is disabled by breaking
 * {@code [[}, so text is always read as text.
 *
 * <p>Audio is eSpeak NG's native mono PCM16 at {@value #SAMPLE_RATE} Hz. Its {@code --stdout} WAV
 * header carries placeholder sizes; the returned WAV's header is rewritten to match its data.
 *
 * <p>Languages are the ISO 639-1 codes of the voices installed ({@code espeak-ng --voices}, read
 * once at construction), plus any language given a voice in {@link Settings#voices()}. A regional
 * tag that eSpeak knows ({@code en-us}, {@code pt-br}, {@code es-419}) picks that voice; otherwise
 * the primary subtag decides.
 */
public final class EspeakSynthesizer extends QueuedSynthesizer {

    public static final String NAME = "espeak";
    /** eSpeak NG's native output rate. */
    public static final int SAMPLE_RATE = 22050;

    private static final Pattern VOICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_/+.-]{0,63}");

    /**
     * Settings of the eSpeak engine.
     *
     * @param command        the espeak-ng executable (a name on PATH or a path)
     * @param voices         voice per language (ISO 639-1 code, lower case) that replaces or adds to
     *                       the installed defaults: an eSpeak voice as {@code -v} takes it, e.g.
     *                       {@code es}, {@code roa/es}, {@code en-us+f3}
     * @param wordsPerMinute speaking rate, 80 to 450
     * @param timeout        time allowed per utterance, from the call to its result
     * @param threads        utterances synthesised at once
     * @param maxQueued      utterances waiting beyond those; more are refused as busy
     */
    public record Settings(String command, Map<String, String> voices, int wordsPerMinute, Duration timeout,
            int threads, int maxQueued) {

        public static final int DEFAULT_WORDS_PER_MINUTE = 175;

        public Settings {
            voices = Map.copyOf(voices);
        }

        /** espeak-ng on PATH, installed voices, 175 wpm, 10 s, one thread per core, 100 waiting. */
        public static Settings defaults() {
            return new Settings("espeak-ng", Map.of(), DEFAULT_WORDS_PER_MINUTE, Duration.ofSeconds(10),
                    Runtime.getRuntime().availableProcessors(), 100);
        }

        public Settings withVoices(Map<String, String> v) {
            return new Settings(command, v, wordsPerMinute, timeout, threads, maxQueued);
        }

        public Settings withWordsPerMinute(int wpm) {
            return new Settings(command, voices, wpm, timeout, threads, maxQueued);
        }

        public Settings withTimeout(Duration t) {
            return new Settings(command, voices, wordsPerMinute, t, threads, maxQueued);
        }

        public Settings withThreads(int n, int queued) {
            return new Settings(command, voices, wordsPerMinute, timeout, n, queued);
        }
    }

    private final Settings settings;
    /** Voice per language tag: installed tags, their primary subtags, then the overrides. */
    private final Map<String, String> voiceByLanguage;
    private final Set<String> languages;

    /**
     * Reads the installed voices and checks every configured voice by speaking with it once.
     *
     * @throws IllegalArgumentException if a configured voice or the rate is unusable (naming the
     *     property {@code parley.tts.espeak.voice.<lang>} or {@code parley.tts.espeak.words-per-minute})
     * @throws IllegalStateException if espeak-ng cannot be run
     */
    public EspeakSynthesizer(Settings settings) {
        super(NAME, settings.threads(), settings.maxQueued(), settings.timeout());
        this.settings = settings;
        if (settings.wordsPerMinute() < 80 || settings.wordsPerMinute() > 450) {
            throw dev.parley.Config.invalid(Synthesizers.ESPEAK_WPM, String.valueOf(settings.wordsPerMinute()),
                    "a whole number from 80 to 450 (eSpeak's range)");
        }
        Map<String, String> map = new TreeMap<>();
        for (String tag : installedLanguages(settings.command())) {
            map.put(tag, tag);
        }
        for (String tag : List.copyOf(map.keySet())) {
            map.putIfAbsent(primary(tag), primary(tag)); // eSpeak resolves a bare language by voice priority
        }
        for (Map.Entry<String, String> e : settings.voices().entrySet()) {
            String lang = e.getKey().toLowerCase(Locale.ROOT);
            String voice = e.getValue() == null ? "" : e.getValue().trim();
            String key = Synthesizers.ESPEAK_VOICE_PREFIX + lang;
            if (!VOICE.matcher(voice).matches()) {
                throw dev.parley.Config.invalid(key, voice,
                        "an eSpeak NG voice name as `espeak-ng --voices` lists it, such as es, roa/es or es+f3");
            }
            String failure = probe(settings.command(), voice);
            if (failure != null) {
                throw dev.parley.Config.invalid(key, voice, "an installed eSpeak NG voice (see `espeak-ng --voices`;"
                        + " espeak-ng said: " + failure + ")");
            }
            map.put(lang, voice);
        }
        this.voiceByLanguage = Collections.unmodifiableMap(map);
        Set<String> iso = new TreeSet<>();
        for (String tag : map.keySet()) {
            if (tag.length() == 2) {
                iso.add(tag);
            }
        }
        this.languages = Collections.unmodifiableSet(iso);
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> languages() {
        return languages;
    }

    /** The eSpeak voice this engine uses for a language tag, e.g. {@code es} or {@code en-us}. */
    public String voiceFor(String language) {
        return resolve(language.toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    @Override
    String resolve(String language) {
        String voice = voiceByLanguage.get(language);
        if (voice == null) {
            voice = voiceByLanguage.get(primary(language));
        }
        if (voice == null) {
            throw new SynthesisException("No eSpeak NG voice for language '" + language + "'. Languages available: "
                    + String.join(", ", languages));
        }
        return voice;
    }

    @Override
    Speech synthesize(Job job) throws IOException, InterruptedException {
        List<String> command = List.of(settings.command(), "-v", job.voice, "-s",
                String.valueOf(settings.wordsPerMinute()), "-b", "1", "--stdout");
        Process process = new ProcessBuilder(command).start();
        job.onAbort(process::destroyForcibly);
        try {
            try (OutputStream in = process.getOutputStream()) {
                // At most 4096 chars (16 KB of UTF-8): fits the pipe buffer, so this cannot block on eSpeak.
                in.write(literal(job.text).getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // eSpeak exited before reading (e.g. a bad voice): its exit status and stderr say why.
            }
            byte[] wav = process.getInputStream().readAllBytes();
            String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int status = process.waitFor();
            if (job.done()) {
                return null; // timed out or closed: the result is already set
            }
            if (status != 0) {
                throw new SynthesisException("eSpeak NG failed (exit " + status + ")"
                        + (errors.isEmpty() ? "" : ": " + printable(errors, 300)));
            }
            return speech(wav, "eSpeak NG");
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * The text as eSpeak should read it: control characters as spaces, and {@code [[}, which
     * starts eSpeak's phoneme input, broken so it is read as brackets.
     */
    static String literal(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) && c != '\n' && c != '\t') {
                out.append(' ');
            } else if (c == '[' && out.length() > 0 && out.charAt(out.length() - 1) == '[') {
                out.append(' ').append(c);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Language tags of the installed voices, primary and "other languages" columns, lower case. */
    static Set<String> installedLanguages(String command) {
        String listing;
        try {
            Process p = new ProcessBuilder(command, "--voices").redirectErrorStream(true).start();
            p.getOutputStream().close();
            listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("`" + command + " --voices` failed: " + printable(listing.strip(), 300));
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run eSpeak NG (" + command + "): " + e.getMessage()
                    + ". Install the Debian package espeak-ng, set " + Synthesizers.ESPEAK_COMMAND + " (env "
                    + dev.parley.Config.envName(Synthesizers.ESPEAK_COMMAND) + ") to its path, or choose another "
                    + Synthesizers.ENGINE + " (env " + dev.parley.Config.envName(Synthesizers.ENGINE) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while listing eSpeak NG voices", e);
        }
        return parseVoices(listing);
    }

    /** Parses {@code espeak-ng --voices}: "Pty Language Age/Gender VoiceName File Other Languages". */
    static Set<String> parseVoices(String listing) {
        Set<String> tags = new TreeSet<>();
        for (String line : listing.split("\\R")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length < 5 || !cols[0].matches("\\d+")) {
                continue; // the header line, or blank
            }
            tags.add(cols[1].toLowerCase(Locale.ROOT));
            for (int i = 5; i < cols.length; i++) {
                // "(zh-cmn 5)(zh 5)" splits into "(zh-cmn", "5)(zh", "5)"
                for (String part : cols[i].split("[()]")) {
                    if (part.matches("[A-Za-z]{2,3}(-[A-Za-z0-9]+)*")) {
                        tags.add(part.toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return tags;
    }

    /** Speaks a word with {@code voice}; null if that works, else what eSpeak said. */
    private static String probe(String command, String voice) {
        try {
            Process p = new ProcessBuilder(command, "-v", voice, "-q", "--", "a").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "no answer in 10 s";
            }
            return p.exitValue() == 0 ? null : (out.isEmpty() ? "exit " + p.exitValue() : printable(out, 300));
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public String toString() {
        return "EspeakSynthesizer" + settings;
    }
}
