package dev.parley.realtime;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a recognizer's revisable results append-only, for protocols whose partial results are
 * increments that can never be taken back (OpenAI's transcription deltas). A partial gives only
 * its stable prefix: the words on which it agrees with the partials just before it (less a word or
 * so at the end, which the recognizer revises most), once they extend what was given. The final keeps what was given and goes on with the final's own words after the point
 * where they best match it (fewest word edits), so that what was given, joined, is always a prefix
 * of the final. The price: a word given early that the recognizer later revised stays as given.
 */
public final class AppendOnlyText {

    private static final class Utterance {
        final java.util.ArrayDeque<List<String>> recent = new java.util.ArrayDeque<>();
        List<String> given = List.of();
    }

    private final Map<Integer, Utterance> utterances = new HashMap<>();
    private final int agreeing;
    private final int heldBack;

    /** As measured best on LibriVox (docs/openai-realtime.md): words that 3 partials agree on, less the last. */
    public AppendOnlyText() {
        this(3, 1);
    }

    /**
     * @param agreeing how many partials in a row must agree on a word before it is given
     * @param heldBack how many of the words they agree on, at the end, are held back all the same
     */
    public AppendOnlyText(int agreeing, int heldBack) {
        this.agreeing = agreeing;
        this.heldBack = heldBack;
    }

    /** The utterance's text so far if this partial extends it, else null (nothing new to give). */
    public String partial(int utterance, String text) {
        Utterance u = utterances.computeIfAbsent(utterance, k -> new Utterance());
        List<String> words = words(text);
        u.recent.addLast(words);
        if (u.recent.size() > agreeing) {
            u.recent.removeFirst();
        }
        if (u.recent.size() < agreeing) {
            return null;
        }
        int stable = words.size();
        for (List<String> other : u.recent) {
            stable = Math.min(stable, commonPrefix(other, words));
        }
        stable -= heldBack;
        if (stable <= u.given.size() || commonPrefix(u.given, words) < u.given.size()) {
            return null;
        }
        u.given = List.copyOf(words.subList(0, stable));
        return String.join(" ", u.given);
    }

    /** The text given so far of an utterance (empty if none): what its final must begin with. */
    public String given(int utterance) {
        Utterance u = utterances.get(utterance);
        return u == null ? "" : String.join(" ", u.given);
    }

    /** The utterance's final, consistent with what was given; the utterance is done. */
    public String complete(int utterance, String text) {
        Utterance u = utterances.remove(utterance);
        List<String> words = words(text);
        if (u == null || u.given.isEmpty()) {
            return String.join(" ", words);
        }
        int end = matchedPrefix(u.given, words);
        StringBuilder out = new StringBuilder(String.join(" ", u.given));
        for (String w : words.subList(end, words.size())) {
            out.append(' ').append(w);
        }
        return out.toString();
    }

    /** Forgets an utterance that ended without a result; returns what had been given of it. */
    public String abandon(int utterance) {
        Utterance u = utterances.remove(utterance);
        return u == null ? "" : String.join(" ", u.given);
    }

    /** Forgets every utterance (the client withdrew the audio). */
    public void reset() {
        utterances.clear();
    }

    /** How many words of {@code final} the given words stand for: the prefix they are fewest edits from. */
    static int matchedPrefix(List<String> given, List<String> words) {
        int[] row = new int[words.size() + 1];
        for (int j = 0; j <= words.size(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= given.size(); i++) {
            int[] next = new int[words.size() + 1];
            next[0] = i;
            for (int j = 1; j <= words.size(); j++) {
                int sub = row[j - 1] + (given.get(i - 1).equals(words.get(j - 1)) ? 0 : 1);
                next[j] = Math.min(sub, Math.min(row[j], next[j - 1]) + 1);
            }
            row = next;
        }
        int best = 0;
        for (int j = 1; j <= words.size(); j++) {
            // ties go to the longer prefix: the given words already said what those words were
            if (row[j] <= row[best]) {
                best = j;
            }
        }
        return best;
    }

    private static int commonPrefix(List<String> a, List<String> b) {
        int n = 0;
        while (n < a.size() && n < b.size() && a.get(n).equals(b.get(n))) {
            n++;
        }
        return n;
    }

    private static List<String> words(String text) {
        String trimmed = text == null ? "" : text.trim();
        return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
    }
}
