package dev.parley.privacy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data in what recognizers write, and replaces it by its {@link Entity#placeholder()}.
 *
 * <p>Numbers are read as recognizers give them: number words from the embedded engine ("four five
 * five six", "double seven", "oh"), digits and formatted numbers from cloud engines ("4556 7375",
 * "(555) 123-4567"). A run of numbers is judged by its length and by the nearest context word before
 * it (card, phone, account, born, social security, or a neutral one such as order or price):
 * <ul>
 *   <li>13–19 digits are a card whatever the context, whether or not the Luhn check passes (a
 *       misheard digit fails it, and it is still the customer's card); 12 that pass it are a card too;</li>
 *   <li>after a card word (card, expiry, security code, CVV, ...) any run of 3 digits or more is a card;</li>
 *   <li>after a phone word 6 or more digits are a phone, and so are 10 digits (11 starting with 1)
 *       or a phone's format without one;</li>
 *   <li>after an account word 4 or more digits are an account; 20 or more are one anyway;</li>
 *   <li>after a social security word 4 or more are an SSN, and so is the 3-2-4 format;</li>
 *   <li>after a birth word (born, birthday, date of birth), the date that follows;</li>
 *   <li>anything else stays: quantities, prices, years, short order numbers.</li>
 * </ul>
 * Email addresses are found written ({@code john.smith@example.com}) and spelled out ("john dot
 * smith at example dot com").
 *
 * <p>{@link #judge} looks at consecutive texts of one speaker together, so that a number split
 * across two finals is judged whole, and a context word in the previous one counts.
 */
public final class Redactor {

    /** One placeholder in a redacted text: its entity, and where it stands (character offsets). */
    public record Span(Entity entity, int start, int end) {
    }

    /** The words of a source text (split at spaces, from 0) that one placeholder replaced, first to last. */
    public record Words(int first, int last) {
    }

    /**
     * A text with its personal data replaced. {@code words}: for each span, which of the source
     * text's words it replaced (wholly or partly), to find where they were spoken.
     */
    public record Redacted(String text, List<Span> spans, List<Words> words) {
        public boolean changed() {
            return !spans.isEmpty();
        }
    }

    private record Token(String word, int start, int end, int part) {
    }

    private record Found(Entity entity, int from, int to) {
    }

    private enum Context { CARD, PHONE, ACCOUNT, SSN, BIRTH, NEUTRAL }

    private static final Pattern TOKEN = Pattern.compile("[\\p{L}']+|\\d+|[^\\s\\p{L}\\d]");

    private static final Map<String, String> DIGIT_WORDS = Map.ofEntries(
            Map.entry("zero", "0"), Map.entry("oh", "0"), Map.entry("o", "0"), Map.entry("one", "1"),
            Map.entry("two", "2"), Map.entry("three", "3"), Map.entry("four", "4"), Map.entry("five", "5"),
            Map.entry("six", "6"), Map.entry("seven", "7"), Map.entry("eight", "8"), Map.entry("nine", "9"),
            Map.entry("ten", "10"), Map.entry("eleven", "11"), Map.entry("twelve", "12"), Map.entry("thirteen", "13"),
            Map.entry("fourteen", "14"), Map.entry("fifteen", "15"), Map.entry("sixteen", "16"),
            Map.entry("seventeen", "17"), Map.entry("eighteen", "18"), Map.entry("nineteen", "19"));
    private static final Map<String, String> TENS = Map.of("twenty", "2", "thirty", "3", "forty", "4", "fifty", "5",
            "sixty", "6", "seventy", "7", "eighty", "8", "ninety", "9");
    /** Words a recognizer writes for a digit it heard among digits ("four" as "for"). */
    private static final Map<String, String> MISHEARD_DIGITS = Map.of("for", "4", "to", "2", "too", "2", "won", "1",
            "ate", "8");
    /** Words and marks that may stand between the digits of one number. */
    private static final Set<String> NUMBER_GLUE = Set.of("-", ".", "/", "(", ")", "+", ",", "dash", "hyphen", "uh",
            "um", "er", "hmm", "space");
    private static final Set<String> MONTHS = Set.of("january", "february", "march", "april", "may", "june", "july",
            "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
            "sep", "sept", "oct", "nov", "dec");
    private static final Set<String> ORDINALS = Set.of("first", "second", "third", "fourth", "fifth", "sixth",
            "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
            "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth", "st", "nd", "rd", "th");
    private static final Set<String> DATE_GLUE = Set.of("of", "the", ",", "/", "-", ".", "and");
    private static final Map<String, Context> CONTEXT = Map.ofEntries(
            Map.entry("card", Context.CARD), Map.entry("credit", Context.CARD), Map.entry("debit", Context.CARD),
            Map.entry("visa", Context.CARD), Map.entry("mastercard", Context.CARD), Map.entry("amex", Context.CARD),
            Map.entry("expiry", Context.CARD), Map.entry("expiration", Context.CARD), Map.entry("expires", Context.CARD),
            Map.entry("exp", Context.CARD), Map.entry("cvv", Context.CARD), Map.entry("cvc", Context.CARD),
            Map.entry("pin", Context.CARD),
            Map.entry("phone", Context.PHONE), Map.entry("telephone", Context.PHONE), Map.entry("mobile", Context.PHONE),
            Map.entry("cell", Context.PHONE), Map.entry("call", Context.PHONE), Map.entry("reach", Context.PHONE),
            Map.entry("dial", Context.PHONE), Map.entry("fax", Context.PHONE), Map.entry("extension", Context.PHONE),
            Map.entry("account", Context.ACCOUNT), Map.entry("acct", Context.ACCOUNT), Map.entry("routing", Context.ACCOUNT),
            Map.entry("iban", Context.ACCOUNT), Map.entry("policy", Context.ACCOUNT), Map.entry("member", Context.ACCOUNT),
            Map.entry("membership", Context.ACCOUNT), Map.entry("sort", Context.ACCOUNT),
            Map.entry("ssn", Context.SSN), Map.entry("social", Context.SSN),
            Map.entry("born", Context.BIRTH), Map.entry("birth", Context.BIRTH), Map.entry("birthday", Context.BIRTH),
            Map.entry("dob", Context.BIRTH),
            Map.entry("order", Context.NEUTRAL), Map.entry("item", Context.NEUTRAL), Map.entry("items", Context.NEUTRAL),
            Map.entry("price", Context.NEUTRAL), Map.entry("costs", Context.NEUTRAL), Map.entry("cost", Context.NEUTRAL),
            Map.entry("year", Context.NEUTRAL), Map.entry("in", Context.NEUTRAL), Map.entry("since", Context.NEUTRAL),
            Map.entry("room", Context.NEUTRAL), Map.entry("flight", Context.NEUTRAL), Map.entry("page", Context.NEUTRAL),
            Map.entry("model", Context.NEUTRAL), Map.entry("version", Context.NEUTRAL), Map.entry("total", Context.NEUTRAL),
            Map.entry("buy", Context.NEUTRAL), Map.entry("want", Context.NEUTRAL), Map.entry("need", Context.NEUTRAL),
            Map.entry("$", Context.NEUTRAL), Map.entry("€", Context.NEUTRAL), Map.entry("£", Context.NEUTRAL));
    /** Words after a number that make it an amount, a price or a time, never personal data by context. */
    private static final Set<String> UNITS = Set.of("dollars", "dollar", "cents", "euros", "euro", "pounds", "items",
            "pieces", "units", "boxes", "percent", "years", "months", "weeks", "days", "hours", "minutes", "seconds",
            "times", "people", "%", "am", "pm", "o'clock", "kilos", "miles");
    /** Last parts of a spelled-out domain (and any of two letters, a country's). */
    private static final Set<String> TOP_LEVEL = Set.of("com", "org", "net", "edu", "gov", "io", "info", "biz", "dev",
            "app", "mil", "int", "name", "mobi", "online", "email");
    /** How many tokens back a context word still counts. */
    private static final int CONTEXT_REACH = 8;

    private static final Pattern PHONE_FORMAT = Pattern.compile(
            "(\\+?1[ .-]?)?(\\(\\d{3}\\)\\s?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}|\\d{3}-\\d{4}");
    private static final Pattern SSN_FORMAT = Pattern.compile("\\d{3}-\\d{2}-\\d{4}");

    private final Set<Entity> entities;

    public Redactor(Set<Entity> entities) {
        this.entities = entities.isEmpty() ? EnumSet.noneOf(Entity.class) : EnumSet.copyOf(entities);
    }

    public Set<Entity> entities() {
        return EnumSet.copyOf(entities.isEmpty() ? EnumSet.noneOf(Entity.class) : entities);
    }

    public boolean enabled() {
        return !entities.isEmpty();
    }

    /** One text judged on its own: a final, or a translation. */
    public Redacted redact(String text) {
        return judge(List.of(text), false).get(0);
    }

    /**
     * Judges consecutive texts of one speaker as one (a number may run from one into the next, a
     * context word in one counts for the next), and returns each redacted. {@code stillSpeaking}: the
     * last text is a partial, whose last number may grow: it is masked from its first digit after a
     * card, phone, account or social security word, and from its sixth digit without one.
     */
    public List<Redacted> judge(List<String> texts, boolean stillSpeaking) {
        List<Token> tokens = new ArrayList<>();
        for (int p = 0; p < texts.size(); p++) {
            Matcher m = TOKEN.matcher(texts.get(p));
            while (m.find()) {
                tokens.add(new Token(m.group().toLowerCase(Locale.ROOT), m.start(), m.end(), p));
            }
        }
        List<Found> found = new ArrayList<>();
        if (!entities.isEmpty()) {
            numbers(tokens, stillSpeaking, found);
            if (entities.contains(Entity.EMAIL)) {
                spelledEmails(tokens, found);
            }
            if (entities.contains(Entity.DATE_OF_BIRTH)) {
                birthDates(tokens, found);
            }
        }
        List<Redacted> out = new ArrayList<>();
        for (int p = 0; p < texts.size(); p++) {
            out.add(apply(texts.get(p), p, tokens, found));
        }
        return out;
    }

    private static final Pattern REDACTED_TOKEN = Pattern.compile("\\[[A-Z_]+]|[\\p{L}']+|\\d+|[^\\s\\p{L}\\d]");

    /**
     * How many characters of a redacted partial no word said after it can change: its text up to the
     * first word that a number, an email or a date of birth still being spoken may yet take into a
     * placeholder (or, for a number that turns out an amount, out of one). Held back: a trailing
     * number with its marks and any placeholder in it, words after a number or placeholder that a
     * next number could join (a number is taken whole across up to two words, and the utterance may
     * continue one the previous final ended with), an email's possible start while its address may
     * still be spoken, and what follows a birth word within reach. Joined, what a speaker's client
     * is given of each partial is then a prefix of the utterance's redacted final.
     */
    public int settledLength(String redacted) {
        List<Token> tokens = new ArrayList<>();
        Matcher m = REDACTED_TOKEN.matcher(redacted);
        while (m.find()) {
            String w = m.group();
            tokens.add(new Token(w.startsWith("[") ? w : w.toLowerCase(Locale.ROOT), m.start(), m.end(), 0));
        }
        int n = tokens.size();
        int settled = n;
        // Numbers: the trailing run, and the stretch back over values that a later number may join.
        int tail = n;
        while (tail > 0 && numberish(tokens.get(tail - 1).word())) {
            tail--;
        }
        settled = Math.min(settled, tail);
        int reach = n;
        for (int k = n - 1; k >= -1; k--) {
            boolean value = k < 0 || numberValue(tokens.get(k).word());
            if (!value) {
                continue;
            }
            if (reach - k > 3) {
                break;
            }
            settled = Math.min(settled, k + 1);
            reach = k;
        }
        if (entities.contains(Entity.EMAIL) && n > 0) {
            settled = Math.min(settled, emailStart(tokens));
        }
        if (entities.contains(Entity.DATE_OF_BIRTH)) {
            for (int k = Math.max(0, n - 1 - CONTEXT_REACH - 6); k < n; k++) {
                if (CONTEXT.get(tokens.get(k).word()) == Context.BIRTH) {
                    settled = Math.min(settled, k + 1);
                    break;
                }
            }
        }
        return settled >= n ? redacted.length() : settled == 0 ? 0 : tokens.get(settled - 1).end();
    }

    /** A token a number run may hold: digits, number words, marks between digits, a placeholder. */
    private static boolean numberish(String w) {
        return numberValue(w) || NUMBER_GLUE.contains(w) || w.equals("double") || w.equals("triple")
                || w.equals("hundred");
    }

    /** A token that is, or may be heard as, a digit or a number: or a placeholder. */
    private static boolean numberValue(String w) {
        return w.startsWith("[") && w.length() > 1 || digitsOf(w) != null || MISHEARD_DIGITS.containsKey(w);
    }

    /**
     * Where an email address the speaker may still be spelling would start: before an "at" whose
     * domain is unfinished, or at the local part the last words may be (it ends where "at" comes).
     */
    private static int emailStart(List<Token> tokens) {
        int n = tokens.size();
        for (int at = n - 1; at >= 1; at--) {
            String w = tokens.get(at).word();
            if (w.equals("at") || w.equals("@")) {
                boolean domainSoFar = true;
                for (int k = at + 1; k < n && domainSoFar; k++) {
                    String d = tokens.get(k).word();
                    domainSoFar = (k - at) % 2 == 1 ? isNamePart(d) : isDot(d);
                }
                if (domainSoFar) {
                    return localStart(tokens, at - 1);
                }
                break;
            }
        }
        int last = n - 1;
        if (isLocalGlue(tokens.get(last).word()) && last > 0) {
            last--;
        }
        return isNamePart(tokens.get(last).word()) ? localStart(tokens, last) : n;
    }

    /** The first token of an email's local part that ends at {@code end}, as {@link #spelledEmails} extends it. */
    private static int localStart(List<Token> tokens, int end) {
        int start = end;
        while (start > 0) {
            if (start - 2 >= 0 && isLocalGlue(tokens.get(start - 1).word()) && isNamePart(tokens.get(start - 2).word())) {
                start -= 2;
            } else if (digitsOf(tokens.get(start).word()) != null && isNamePart(tokens.get(start - 1).word())) {
                start -= 1;
            } else if (adjacent(tokens.get(start - 1), tokens.get(start))
                    && (isNamePart(tokens.get(start - 1).word()) || isLocalGlue(tokens.get(start - 1).word()))) {
                start -= 1;
            } else {
                break;
            }
        }
        return start;
    }

    /** True if the text ends in a number: what follows it may be the number's rest. */
    public boolean endsInNumber(String text) {
        Matcher m = TOKEN.matcher(text);
        String last = null;
        while (m.find()) {
            String w = m.group().toLowerCase(Locale.ROOT);
            if (!NUMBER_GLUE.contains(w) || last == null) {
                last = w;
            }
        }
        return last != null && digitsOf(last) != null;
    }

    /** A digit, a run of digits, or a number word: its digits; otherwise null. */
    private static String digitsOf(String word) {
        if (Character.isDigit(word.charAt(0))) {
            return word;
        }
        String d = DIGIT_WORDS.get(word);
        return d != null ? d : TENS.containsKey(word) ? TENS.get(word) + "0" : null;
    }

    private void numbers(List<Token> tokens, boolean stillSpeaking, List<Found> found) {
        int i = 0;
        int afterPrevious = 0;
        Found before = null;
        while (i < tokens.size()) {
            if (!startsNumber(tokens, i)) {
                i++;
                continue;
            }
            StringBuilder digits = new StringBuilder();
            int last = i;
            int j = i;
            while (j < tokens.size()) {
                String w = tokens.get(j).word();
                String d = digitsOf(w);
                if (d != null && !(w.equals("o") && j == i)) {
                    if (TENS.containsKey(w) && j + 1 < tokens.size() && DIGIT_WORDS.containsKey(tokens.get(j + 1).word())
                            && DIGIT_WORDS.get(tokens.get(j + 1).word()).length() == 1 && !tokens.get(j + 1).word().equals("oh")) {
                        digits.append(TENS.get(w)).append(DIGIT_WORDS.get(tokens.get(j + 1).word()));
                        j += 2;
                    } else {
                        digits.append(d);
                        j++;
                    }
                    last = j - 1;
                } else if ((w.equals("double") || w.equals("triple")) && j + 1 < tokens.size()
                        && DIGIT_WORDS.containsKey(tokens.get(j + 1).word())) {
                    String d1 = DIGIT_WORDS.get(tokens.get(j + 1).word());
                    digits.append(d1.repeat(w.equals("double") ? 2 : 3));
                    j += 2;
                    last = j - 1;
                } else if (MISHEARD_DIGITS.containsKey(w) && digits.length() >= 1 && j + 1 < tokens.size()
                        && digitsOf(tokens.get(j + 1).word()) != null) {
                    digits.append(MISHEARD_DIGITS.get(w));
                    last = j++;
                } else if (w.equals("hundred") && digits.length() > 0) {
                    digits.append(hundredFiller(tokens, j + 1));
                    last = j++;
                } else if (NUMBER_GLUE.contains(w)) {
                    j++;
                } else {
                    break;
                }
            }
            int first = i;
            if (i > 0 && (tokens.get(i - 1).word().equals("(") || tokens.get(i - 1).word().equals("+"))
                    && adjacent(tokens.get(i - 1), tokens.get(i))) {
                first = i - 1; // "(555)", "+1": the mark belongs to the number
            }
            Found f = judgeNumber(tokens, first, last, digits.toString(), afterPrevious,
                    stillSpeaking && last == tokens.size() - 1);
            if (f == null && before != null && before.to() >= afterPrevious - 1 && first - before.to() <= 3
                    && digits.length() >= 2 && !isAmount(tokens, last)) {
                // The rest of a number just judged personal, after a word the recognizer heard in it
                // ("and"): that word may be a misheard digit, so the whole stretch is one placeholder.
                found.remove(before);
                f = new Found(before.entity(), before.from(), last);
            }
            before = f;
            if (f != null && entities.contains(f.entity())) {
                found.add(f);
            }
            afterPrevious = last + 1;
            i = last + 1;
        }
    }

    private static boolean startsNumber(List<Token> tokens, int i) {
        String w = tokens.get(i).word();
        if (w.equals("double") || w.equals("triple")) {
            return i + 1 < tokens.size() && DIGIT_WORDS.containsKey(tokens.get(i + 1).word());
        }
        return digitsOf(w) != null && !isBareO(tokens, i);
    }

    /**
     * The digits "hundred" stands for before what follows it: "four hundred twelve" is 412, "four
     * hundred five" 405, and "eight hundred five five five" (a toll-free number) 800555.
     */
    private static String hundredFiller(List<Token> tokens, int next) {
        String d = next < tokens.size() ? digitsOf(tokens.get(next).word()) : null;
        if (d == null) {
            return "00";
        }
        if (d.length() == 2) {
            return "";
        }
        boolean digitAfter = next + 1 < tokens.size() && DIGIT_WORDS.containsKey(tokens.get(next + 1).word())
                && DIGIT_WORDS.get(tokens.get(next + 1).word()).length() == 1;
        return digitAfter ? "00" : "0";
    }

    /** A lone "o" is a letter unless digits are next to it. */
    private static boolean isBareO(List<Token> tokens, int i) {
        if (!tokens.get(i).word().equals("o")) {
            return false;
        }
        return i + 1 >= tokens.size() || digitsOf(tokens.get(i + 1).word()) == null;
    }

    private Found judgeNumber(List<Token> tokens, int from, int to, String digits, int contextFrom, boolean growing) {
        int n = digits.length();
        Context context = null;
        for (int k = from - 1; k >= Math.max(contextFrom, from - CONTEXT_REACH); k--) {
            String w = tokens.get(k).word();
            if (w.equals("security") && k > 0 && tokens.get(k - 1).word().equals("social")) {
                context = Context.SSN;
                break;
            }
            if (w.equals("code") && k > 0 && tokens.get(k - 1).word().equals("security")) {
                context = Context.CARD;
                break;
            }
            context = CONTEXT.get(w);
            if (context != null) {
                break;
            }
        }
        boolean amount = isAmount(tokens, to);
        String written = writtenForm(tokens, from, to);
        Entity entity = null;
        if (n >= 13 && n <= 19) {
            entity = context == Context.ACCOUNT ? Entity.ACCOUNT : Entity.CARD;
        } else if (amount) {
            entity = null;
        } else if (context == Context.CARD && n >= 3) {
            entity = Entity.CARD;
        } else if (context == Context.SSN && n >= 4 || SSN_FORMAT.matcher(written).matches()) {
            entity = Entity.SSN;
        } else if (context == Context.ACCOUNT && n >= 4 || n >= 20) {
            entity = Entity.ACCOUNT;
        } else if (context == Context.PHONE && n >= 6 || n == 10 || n == 11 && digits.startsWith("1")
                || PHONE_FORMAT.matcher(written).matches()) {
            entity = Entity.PHONE;
        } else if (n == 12 && luhn(digits)) {
            entity = Entity.CARD;
        } else if (growing && (n >= 6 || context != null) && context != Context.NEUTRAL && context != Context.BIRTH) {
            // A number still being spoken: masked from its first digit after a context word, from its
            // sixth without one (it may become a card).
            entity = context == Context.PHONE ? Entity.PHONE : context == Context.ACCOUNT ? Entity.ACCOUNT
                    : context == Context.SSN ? Entity.SSN : Entity.CARD;
        }
        return entity == null ? null : new Found(entity, from, to);
    }

    private static boolean isAmount(List<Token> tokens, int last) {
        return last + 1 < tokens.size() && UNITS.contains(tokens.get(last + 1).word());
    }

    /** The run's tokens as written, without spaces between digits and marks ("(555) 123-4567" stays so). */
    private static String writtenForm(List<Token> tokens, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int k = from; k <= to; k++) {
            if (k > from && (tokens.get(k).start() != tokens.get(k - 1).end() || tokens.get(k).part() != tokens.get(k - 1).part())) {
                s.append(' ');
            }
            s.append(tokens.get(k).word());
        }
        return s.toString();
    }

    /** The Luhn check: extra evidence for a card number of unusual length. */
    static boolean luhn(String digits) {
        int sum = 0;
        boolean twice = false;
        for (int k = digits.length() - 1; k >= 0; k--) {
            int d = digits.charAt(k) - '0';
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }

    /**
     * "john dot smith at example dot com" or "john.smith@example.com": a name, "at", and a domain
     * with at least one "dot"; a name's parts may also be written together ("smith85").
     */
    private void spelledEmails(List<Token> tokens, List<Found> found) {
        for (int at = 1; at < tokens.size() - 3; at++) {
            if (!tokens.get(at).word().equals("at") && !tokens.get(at).word().equals("@")) {
                continue;
            }
            int end = at + 1;
            if (!isNamePart(tokens.get(end).word())) {
                continue;
            }
            int dots = 0;
            while (end + 2 < tokens.size() && isDot(tokens.get(end + 1).word()) && isNamePart(tokens.get(end + 2).word())) {
                end += 2;
                dots++;
            }
            if (dots == 0 || !TOP_LEVEL.contains(tokens.get(end).word()) && tokens.get(end).word().length() != 2) {
                continue;
            }
            int start = at - 1;
            if (!isNamePart(tokens.get(start).word())) {
                continue;
            }
            while (true) {
                if (start - 2 >= 0 && isLocalGlue(tokens.get(start - 1).word()) && isNamePart(tokens.get(start - 2).word())) {
                    start -= 2;
                } else if (start - 1 >= 0 && digitsOf(tokens.get(start).word()) != null
                        && isNamePart(tokens.get(start - 1).word())) {
                    start -= 1; // "jones eighty five": numbers said after a name are part of it
                } else if (start - 1 >= 0 && adjacent(tokens.get(start - 1), tokens.get(start))
                        && (isNamePart(tokens.get(start - 1).word()) || isLocalGlue(tokens.get(start - 1).word()))) {
                    start -= 1;
                } else {
                    break;
                }
            }
            while (end + 1 < tokens.size() && adjacent(tokens.get(end), tokens.get(end + 1))
                    && Character.isLetterOrDigit(tokens.get(end + 1).word().charAt(0))) {
                end++;
            }
            found.add(new Found(Entity.EMAIL, start, end));
        }
    }

    private static boolean adjacent(Token a, Token b) {
        return a.part() == b.part() && a.end() == b.start();
    }

    private static boolean isDot(String w) {
        return w.equals("dot") || w.equals(".");
    }

    private static boolean isLocalGlue(String w) {
        return isDot(w) || w.equals("underscore") || w.equals("dash") || w.equals("hyphen") || w.equals("plus")
                || w.equals("_") || w.equals("-") || w.equals("+");
    }

    private static boolean isNamePart(String w) {
        return Character.isLetterOrDigit(w.charAt(0)) && !w.equals("at") && !w.equals("is") && !isLocalGlue(w);
    }

    /** After "born", "birthday" or "date of birth": the date that follows, in words or digits. */
    private void birthDates(List<Token> tokens, List<Found> found) {
        for (int k = 0; k < tokens.size(); k++) {
            if (CONTEXT.get(tokens.get(k).word()) != Context.BIRTH) {
                continue;
            }
            int start = -1;
            int end = -1;
            for (int j = k + 1; j < tokens.size() && j <= k + CONTEXT_REACH + 6; j++) {
                String w = tokens.get(j).word();
                boolean datePart = MONTHS.contains(w) || ORDINALS.contains(w) || digitsOf(w) != null
                        || w.matches("\\d+(st|nd|rd|th)")
                        || start >= 0 && (w.equals("hundred") || w.equals("thousand"));
                if (datePart) {
                    start = start < 0 ? j : start;
                    end = j;
                } else if (start >= 0 && !DATE_GLUE.contains(w)) {
                    break;
                }
            }
            if (start >= 0) {
                found.add(new Found(Entity.DATE_OF_BIRTH, start, end));
                k = end;
            }
        }
    }

    /** Replaces, in part {@code part}, the characters of every found entity's tokens there by its placeholder. */
    private static Redacted apply(String text, int part, List<Token> tokens, List<Found> found) {
        // Character ranges in this part, one per entity found here, merged where they overlap.
        List<int[]> ranges = new ArrayList<>();
        List<Entity> kinds = new ArrayList<>();
        found.stream().sorted((a, b) -> Integer.compare(a.from(), b.from())).forEach(f -> {
            int s = -1;
            int e = -1;
            for (int k = f.from(); k <= f.to(); k++) {
                Token t = tokens.get(k);
                if (t.part() == part) {
                    s = s < 0 ? t.start() : s;
                    e = t.end();
                }
            }
            if (s < 0) {
                return;
            }
            if (!ranges.isEmpty() && s <= ranges.get(ranges.size() - 1)[1]) {
                int[] r = ranges.get(ranges.size() - 1);
                r[1] = Math.max(r[1], e);
            } else {
                ranges.add(new int[] {s, e});
                kinds.add(f.entity());
            }
        });
        if (ranges.isEmpty()) {
            return new Redacted(text, List.of(), List.of());
        }
        StringBuilder out = new StringBuilder();
        List<Span> spans = new ArrayList<>();
        List<Words> words = new ArrayList<>();
        int at = 0;
        for (int r = 0; r < ranges.size(); r++) {
            int s = ranges.get(r)[0];
            int e = ranges.get(r)[1];
            out.append(text, at, s);
            Entity entity = kinds.get(r);
            spans.add(new Span(entity, out.length(), out.length() + entity.placeholder().length()));
            out.append(entity.placeholder());
            at = e;
            words.add(new Words(wordIndex(text, s), wordIndex(text, e - 1)));
        }
        out.append(text.substring(at));
        return new Redacted(out.toString(), List.copyOf(spans), List.copyOf(words));
    }

    /** Which whitespace-separated word of {@code text} the character at {@code offset} is in. */
    private static int wordIndex(String text, int offset) {
        int index = -1;
        boolean inWord = false;
        for (int c = 0; c <= offset; c++) {
            boolean space = Character.isWhitespace(text.charAt(c));
            if (!space && !inWord) {
                index++;
            }
            inWord = !space;
        }
        return index;
    }
}
