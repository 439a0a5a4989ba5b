package dev.parley.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Word error rate: word-level Levenshtein distance over the number of reference words. */
public final class WordErrorRate {

    private WordErrorRate() {}

    /**
     * Lowercases, drops sentence markers ({@code <s> </s> <sil>}), a trailing {@code (fileid)},
     * alternate-pronunciation suffixes {@code word(2)} and punctuation, and spells "mr" as "mister".
     */
    public static List<String> normalise(String text) {
        String t = text.toLowerCase(Locale.ROOT).trim().replaceAll("\\([^()\\s]*\\)\\s*$", " ");
        List<String> words = new ArrayList<>();
        for (String w : t.split("\\s+")) {
            if (w.isEmpty() || w.startsWith("<") && w.endsWith(">") || w.startsWith("[") && w.endsWith("]")) {
                continue;
            }
            w = w.replaceAll("\\(\\d+\\)$", "").replaceAll("[^a-z0-9']", "");
            if (w.isEmpty()) {
                continue;
            }
            words.add(w.equals("mr") ? "mister" : w);
        }
        return words;
    }

    /** Minimum substitutions + deletions + insertions turning {@code ref} into {@code hyp}. */
    public static int distance(List<String> ref, List<String> hyp) {
        int[] prev = new int[hyp.size() + 1];
        int[] cur = new int[hyp.size() + 1];
        for (int j = 0; j <= hyp.size(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= ref.size(); i++) {
            cur[0] = i;
            for (int j = 1; j <= hyp.size(); j++) {
                int sub = prev[j - 1] + (ref.get(i - 1).equals(hyp.get(j - 1)) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[hyp.size()];
    }

    /** WER of one hypothesis against one reference (both normalised). */
    public static double of(String reference, String hypothesis) {
        List<String> ref = normalise(reference);
        return ref.isEmpty() ? (normalise(hypothesis).isEmpty() ? 0 : 1)
                : (double) distance(ref, normalise(hypothesis)) / ref.size();
    }

    /** Corpus WER: total edits over total reference words. */
    public static double corpus(List<String> references, List<String> hypotheses) {
        if (references.size() != hypotheses.size()) {
            throw new IllegalArgumentException(references.size() + " references, " + hypotheses.size() + " hypotheses");
        }
        long edits = 0;
        long words = 0;
        for (int i = 0; i < references.size(); i++) {
            List<String> ref = normalise(references.get(i));
            edits += distance(ref, normalise(hypotheses.get(i)));
            words += ref.size();
        }
        return words == 0 ? 0 : (double) edits / words;
    }
}
