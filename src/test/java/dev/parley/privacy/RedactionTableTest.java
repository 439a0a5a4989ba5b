package dev.parley.privacy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redaction of what recognizers really write: number words from PocketSphinx, digits and formats
 * from cloud engines, numbers split across finals, spelled-out emails, misheard cards. Each row is
 * one speaker's consecutive finals (or finals and a partial, last) and what every consumer must see.
 * Prints precision and recall per entity over the table.
 */
class RedactionTableTest {

    private record Row(Entity about, List<String> said, boolean partialLast, List<String> expected) {
    }

    private static final List<Row> ROWS = new ArrayList<>();

    private static void redact(Entity about, String said, String expected) {
        ROWS.add(new Row(about, List.of(said), false, List.of(expected)));
    }

    private static void stays(Entity about, String said) {
        ROWS.add(new Row(about, List.of(said), false, List.of(said)));
    }

    private static void finals(Entity about, String first, String second, String firstExpected, String secondExpected) {
        ROWS.add(new Row(about, List.of(first, second), false, List.of(firstExpected, secondExpected)));
    }

    private static void partial(Entity about, String finalBefore, String partial, String partialExpected) {
        ROWS.add(new Row(about, List.of(finalBefore, partial), true, List.of(finalBefore, partialExpected)));
    }

    static {
        // Cards: number words, digits, formats, split across finals and partials, misheard (Luhn fails), short in context.
        redact(Entity.CARD, "my card number is four five five six seven three seven five eight six one four nine nine six three",
                "my card number is [CARD]");
        redact(Entity.CARD, "four five five six seven three seven five eight six one four nine nine six three",
                "[CARD]");
        redact(Entity.CARD, "it's 4556 7375 8614 9963 thanks", "it's [CARD] thanks");
        redact(Entity.CARD, "the number is 4556-7375-8614-9963.", "the number is [CARD].");
        redact(Entity.CARD, "card 4111111111111111 please", "card [CARD] please");
        redact(Entity.CARD, "four five five six seven three seven five eight six one four nine nine six four",
                "[CARD]"); // last digit misheard: fails Luhn
        redact(Entity.CARD, "four five five six seven three seven five eight six one four nine nine six",
                "[CARD]"); // a digit missing: 15 digits
        redact(Entity.CARD, "my visa is four for five six seven three seven five eight six one four nine nine six three",
                "my visa is [CARD]"); // "four" heard as "for" among digits
        redact(Entity.CARD, "the expiry is oh four twenty seven", "the expiry is [CARD]");
        redact(Entity.CARD, "and the security code is one two three", "and the security code is [CARD]");
        redact(Entity.CARD, "cvv seven seven one", "cvv [CARD]");
        redact(Entity.CARD, "credit card three seven eight two eight two two four six three one double oh five",
                "credit card [CARD]"); // amex, 15 digits with "double oh"
        redact(Entity.CARD, "my card four five five six seven three and five eight one four nine nine six three",
                "my card [CARD]"); // a word heard inside the number (8 kHz telephone audio)
        finals(Entity.CARD, "my card number is four five five six seven three seven five",
                "eight six one four nine nine six three", "my card number is [CARD]", "[CARD]");
        finals(Entity.CARD, "it is 4556 7375", "8614 9963 ok", "it is [CARD]", "[CARD] ok");
        partial(Entity.CARD, "can i have your card number", "four five five six seven three",
                "[CARD]");
        partial(Entity.CARD, "sure", "four five five six seven three seven five eight", "[CARD]");
        stays(Entity.CARD, "i would like four boxes");
        stays(Entity.CARD, "that costs nineteen ninety nine");
        stays(Entity.CARD, "it was twenty twenty four");
        stays(Entity.CARD, "my order number is four five two one");
        stays(Entity.CARD, "we have three hundred units");
        stays(Entity.CARD, "it is $49.99 a month");
        stays(Entity.CARD, "the year 1999 was good");
        stays(Entity.CARD, "i need two of those and one of these");
        stays(Entity.CARD, "order 4521 has not arrived");
        stays(Entity.CARD, "it took forty five minutes");
        stays(Entity.CARD, "my card was declined twice");

        // Phone numbers.
        redact(Entity.PHONE, "my phone number is five five five one two three four five six seven",
                "my phone number is [PHONE]");
        redact(Entity.PHONE, "call me at (555) 123-4567", "call me at [PHONE]");
        redact(Entity.PHONE, "it's 555-123-4567", "it's [PHONE]");
        redact(Entity.PHONE, "reach me on +1 555 123 4567", "reach me on [PHONE]");
        redact(Entity.PHONE, "eight hundred five five five one two one two", "[PHONE]");
        redact(Entity.PHONE, "you can call five five five one two three four", "you can call [PHONE]");
        redact(Entity.PHONE, "mobile oh seven seven double zero nine hundred one two three", "mobile [PHONE]");
        redact(Entity.PHONE, "5551234567", "[PHONE]");
        redact(Entity.PHONE, "my cell is 555.123.4567 ok", "my cell is [PHONE] ok");
        redact(Entity.PHONE, "the number to call is one eight hundred five five five one two one two",
                "the number to call is [PHONE]");
        finals(Entity.PHONE, "my phone number is five five five", "one two three four five six seven",
                "my phone number is [PHONE]", "[PHONE]");
        stays(Entity.PHONE, "i called three times");
        stays(Entity.PHONE, "call me in five minutes");
        stays(Entity.PHONE, "my phone is broken");
        stays(Entity.PHONE, "room four twelve");
        stays(Entity.PHONE, "the phone costs five hundred dollars");
        stays(Entity.PHONE, "i have two phones");
        stays(Entity.PHONE, "flight 1234 was late");
        stays(Entity.PHONE, "call back at 5 pm");
        stays(Entity.PHONE, "page 42");
        stays(Entity.PHONE, "version 10.2.1");

        // Account numbers.
        redact(Entity.ACCOUNT, "my account number is one two three four five six seven eight", "my account number is [ACCOUNT]");
        redact(Entity.ACCOUNT, "account 98765432", "account [ACCOUNT]");
        redact(Entity.ACCOUNT, "the routing number is 021000021", "the routing number is [ACCOUNT]");
        redact(Entity.ACCOUNT, "policy number four four two one nine", "policy number [ACCOUNT]");
        redact(Entity.ACCOUNT, "my member id is 7788 9900", "my member id is [ACCOUNT]");
        redact(Entity.ACCOUNT, "account is double seven three two one", "account is [ACCOUNT]");
        redact(Entity.ACCOUNT, "acct 0012-3456", "acct [ACCOUNT]");
        redact(Entity.ACCOUNT, "iban gb 29 1234 5678 9012 3456 78", "iban gb [ACCOUNT]");
        redact(Entity.ACCOUNT, "12345678901234567890123", "[ACCOUNT]");
        redact(Entity.ACCOUNT, "my account number is nine eight seven six five four three two one oh",
                "my account number is [ACCOUNT]");
        finals(Entity.ACCOUNT, "the account is one two three four", "five six seven eight",
                "the account is [ACCOUNT]", "[ACCOUNT]");
        stays(Entity.ACCOUNT, "i have had the account for three years");
        stays(Entity.ACCOUNT, "my account was opened in 2019");
        stays(Entity.ACCOUNT, "the account has two cards");
        stays(Entity.ACCOUNT, "there are 12 items in my cart");
        stays(Entity.ACCOUNT, "account balance is 250 dollars");
        stays(Entity.ACCOUNT, "i want three");
        stays(Entity.ACCOUNT, "about 300 people");
        stays(Entity.ACCOUNT, "my account");
        stays(Entity.ACCOUNT, "version 2 of the app");
        stays(Entity.ACCOUNT, "the total is one hundred and twenty");

        // Emails, spelled and written.
        redact(Entity.EMAIL, "my email is john dot smith at example dot com", "my email is [EMAIL]");
        redact(Entity.EMAIL, "it's john at gmail dot com", "it's [EMAIL]");
        redact(Entity.EMAIL, "send it to john.smith@example.com please", "send it to [EMAIL] please");
        redact(Entity.EMAIL, "jane underscore doe at mail dot example dot org", "[EMAIL]");
        redact(Entity.EMAIL, "a dot b at c dot io", "[EMAIL]");
        redact(Entity.EMAIL, "email me at mary dot jones eighty five at yahoo dot co dot uk",
                "email me at [EMAIL]");
        redact(Entity.EMAIL, "smith85@example.com", "[EMAIL]");
        redact(Entity.EMAIL, "contact support at parley dot dev", "contact [EMAIL]");
        redact(Entity.EMAIL, "it is bob dash lee at example dot net", "it is [EMAIL]");
        redact(Entity.EMAIL, "write to info@acme.co.uk", "write to [EMAIL]");
        stays(Entity.EMAIL, "i will be at home");
        stays(Entity.EMAIL, "look at the website");
        stays(Entity.EMAIL, "i sent an email yesterday");
        stays(Entity.EMAIL, "we met at the station");
        stays(Entity.EMAIL, "it is at the end of the page");
        stays(Entity.EMAIL, "the dot on the screen");
        stays(Entity.EMAIL, "at five o'clock");
        stays(Entity.EMAIL, "go to example dot com");
        stays(Entity.EMAIL, "i am at work");
        stays(Entity.EMAIL, "my email address changed");

        // Dates of birth.
        redact(Entity.DATE_OF_BIRTH, "i was born on march fourteenth nineteen eighty five", "i was born on [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "date of birth is oh three fourteen eighty five", "date of birth is [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "my birthday is the third of may", "my birthday is the [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "dob 03/14/1985", "dob [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "born 14 march 1985", "born [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "birth date june first two thousand", "birth date [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "i was born in nineteen ninety", "i was born in [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "born on the 2nd of july 1970", "born on the [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "my date of birth is twelve twelve nineteen sixty", "my date of birth is [DATE_OF_BIRTH]");
        redact(Entity.DATE_OF_BIRTH, "birthday january 5", "birthday [DATE_OF_BIRTH]");
        stays(Entity.DATE_OF_BIRTH, "the meeting is on march fourteenth");
        stays(Entity.DATE_OF_BIRTH, "i ordered it in 2021");
        stays(Entity.DATE_OF_BIRTH, "it arrived on the third of may");
        stays(Entity.DATE_OF_BIRTH, "since nineteen ninety");
        stays(Entity.DATE_OF_BIRTH, "delivery on june first");
        stays(Entity.DATE_OF_BIRTH, "it happened in 1985");
        stays(Entity.DATE_OF_BIRTH, "my son was born last year");
        stays(Entity.DATE_OF_BIRTH, "12/12 is the deadline");
        stays(Entity.DATE_OF_BIRTH, "in january we moved");
        stays(Entity.DATE_OF_BIRTH, "happy birthday");

        // Social security numbers.
        redact(Entity.SSN, "my social security number is one two three four five six seven eight nine",
                "my social security number is [SSN]");
        redact(Entity.SSN, "ssn 123-45-6789", "ssn [SSN]");
        redact(Entity.SSN, "it's 123-45-6789", "it's [SSN]");
        redact(Entity.SSN, "social is 123 45 6789", "social is [SSN]");
        redact(Entity.SSN, "the last four of my social are six seven eight nine", "the last four of my social are [SSN]");
        redact(Entity.SSN, "social security one two three dash four five dash six seven eight nine",
                "social security [SSN]");
        redact(Entity.SSN, "my ssn is nine eight seven six five four three two one", "my ssn is [SSN]");
        redact(Entity.SSN, "SSN: 078-05-1120.", "SSN: [SSN].");
        redact(Entity.SSN, "social security number double one two three three four four five five",
                "social security number [SSN]");
        finals(Entity.SSN, "my social security number is one two three", "four five six seven eight nine",
                "my social security number is [SSN]", "[SSN]");
        stays(Entity.SSN, "social security pays 1200 dollars");
        stays(Entity.SSN, "i am on social media");
        stays(Entity.SSN, "i called social services twice");
        stays(Entity.SSN, "ssn is required");
        stays(Entity.SSN, "it is 123 miles away");
        stays(Entity.SSN, "nine people came");
        stays(Entity.SSN, "my social security card was lost");
        stays(Entity.SSN, "the security is fine");
        stays(Entity.SSN, "45 minutes");
        stays(Entity.SSN, "in 2012 and 2013");
    }

    private final Redactor redactor = new Redactor(EnumSet.allOf(Entity.class));

    @Test
    void everyRowOfTheTableIsRedactedAsExpected() {
        List<String> wrong = new ArrayList<>();
        for (Row row : ROWS) {
            List<String> got = redactor.judge(row.said(), row.partialLast()).stream().map(Redactor.Redacted::text).toList();
            if (!got.equals(row.expected())) {
                wrong.add(row.about() + " " + row.said() + "\n   expected " + row.expected() + "\n   got      " + got);
            }
        }
        printFigures();
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + ROWS.size() + " rows wrong:\n" + String.join("\n", wrong));
    }

    @Test
    void everyCardNumberOfTheTableIsCaught() {
        Pattern digitRun = Pattern.compile("\\d[\\d -]{11,}\\d");
        for (Row row : ROWS) {
            if (row.about() != Entity.CARD || row.expected().equals(row.said())) {
                continue;
            }
            List<Redactor.Redacted> got = redactor.judge(row.said(), row.partialLast());
            assertTrue(got.stream().anyMatch(r -> r.text().contains("[CARD]")), "card kept in " + row.said());
            got.forEach(r -> assertTrue(!digitRun.matcher(r.text()).find(), "digits left in " + r.text()));
        }
    }

    @Test
    void eachEntityHasTenRowsToRedactAndTenToKeep() {
        for (Entity e : Entity.values()) {
            long redacted = ROWS.stream().filter(r -> r.about() == e && !r.expected().equals(r.said())).count();
            long kept = ROWS.stream().filter(r -> r.about() == e && r.expected().equals(r.said())).count();
            assertTrue(redacted >= 10 && kept >= 10, e + ": " + redacted + " to redact, " + kept + " to keep");
        }
    }

    @Test
    void spansSayWhatWasRedactedAndWhereNeverTheValue() {
        Redactor.Redacted r = redactor.redact("card 4556 7375 8614 9963 and phone 555-123-4567");
        assertEquals("card [CARD] and phone [PHONE]", r.text());
        assertEquals(List.of(new Redactor.Span(Entity.CARD, 5, 11), new Redactor.Span(Entity.PHONE, 22, 29)), r.spans());
        assertEquals(List.of(new Redactor.Words(1, 4), new Redactor.Words(7, 7)), r.words());
    }

    @Test
    void onlyTheConfiguredEntitiesAreRedacted() {
        Redactor cardsOnly = new Redactor(Entity.parse("card"));
        assertEquals("card [CARD], call 555-123-4567, mail a@b.com",
                cardsOnly.redact("card 4556737586149963, call 555-123-4567, mail a@b.com").text());
        assertEquals(EnumSet.of(Entity.CARD, Entity.DATE_OF_BIRTH), Entity.parse("card, date-of-birth"));
    }

    @Test
    void aFinalEndingInANumberMayContinueInTheNext() {
        assertTrue(redactor.endsInNumber("my card number is four five five six"));
        assertTrue(redactor.endsInNumber("it is 4556 -"));
        assertTrue(!redactor.endsInNumber("four boxes please"));
    }

    /**
     * What a speaker's live client is given of each partial (its settled prefix) is a prefix of the
     * utterance's redacted final, however the utterance goes on: for every row, spoken word by word,
     * each text ending there or going on as the table has it.
     */
    @Test
    void whatAPartialGivesIsAPrefixOfItsRedactedFinal() {
        List<String> wrong = new ArrayList<>();
        int given = 0;
        for (Row row : ROWS) {
            for (int p = 0; p < row.said().size(); p++) {
                List<String> before = row.said().subList(0, p);
                List<String> upToFinal = new ArrayList<>(row.said().subList(0, p + 1));
                if (p + 1 < row.said().size() && redactor.endsInNumber(row.said().get(p))) {
                    upToFinal.add(row.said().get(p + 1)); // held, and judged with the next final
                }
                String fin = redactor.judge(upToFinal, false).get(p).text();
                String[] words = row.said().get(p).split(" ");
                for (int w = 1; w <= words.length; w++) {
                    List<String> partial = new ArrayList<>(before);
                    partial.add(String.join(" ", List.of(words).subList(0, w)));
                    String redacted = redactor.judge(partial, true).get(p).text();
                    String settled = redacted.substring(0, redactor.settledLength(redacted));
                    given += settled.isEmpty() ? 0 : 1;
                    if (!fin.startsWith(settled)) {
                        wrong.add(row.said() + ": partial \"" + redacted + "\" gives \"" + settled + "\", final \"" + fin + "\"");
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " partials give what their final takes back:\n" + String.join("\n", wrong));
        assertTrue(given > 100, "partials gave nothing: " + given);
    }

    @Test
    void aPartialHoldsBackANumberStillBeingSpokenAndGivesTheRest() {
        String partial = redactor.judge(List.of("my card number is four five five six"), true).get(0).text();
        assertEquals("my card number is [CARD]", partial);
        assertEquals("my card number is", partial.substring(0, redactor.settledLength(partial)));
        String words = "hello i would like to pay my bill";
        assertEquals("hello i would like to pay my", words.substring(0, redactor.settledLength(words)),
                "the last word may be an email address's start");
        assertEquals(words.length(), new Redactor(Entity.parse("card")).settledLength(words));
        String email = "write to john dot smith at example";
        assertEquals("write to", email.substring(0, redactor.settledLength(email)));
        String amount = "the room i booked cost four five six seven eight nine dollars in total";
        assertEquals("the room i booked cost four five six seven eight nine dollars in",
                amount.substring(0, redactor.settledLength(amount)), "an amount is given once it is one");
    }

    /** Per entity, over every row: placeholders expected and found (true positives), extra, missing. */
    private void printFigures() {
        Map<Entity, int[]> counts = new EnumMap<>(Entity.class); // tp, fp, fn
        for (Entity e : Entity.values()) {
            counts.put(e, new int[3]);
        }
        Pattern placeholder = Pattern.compile("\\[([A-Z_]+)]");
        for (Row row : ROWS) {
            List<Redactor.Redacted> got = redactor.judge(row.said(), row.partialLast());
            for (int p = 0; p < got.size(); p++) {
                Map<Entity, Integer> expected = count(placeholder.matcher(row.expected().get(p)));
                Map<Entity, Integer> actual = count(placeholder.matcher(got.get(p).text()));
                for (Entity e : Entity.values()) {
                    int x = expected.getOrDefault(e, 0);
                    int a = actual.getOrDefault(e, 0);
                    counts.get(e)[0] += Math.min(x, a);
                    counts.get(e)[1] += Math.max(0, a - x);
                    counts.get(e)[2] += Math.max(0, x - a);
                }
            }
        }
        System.out.printf("Redaction on the table (%d rows):%n  %-14s %5s %5s %5s %9s %7s%n", ROWS.size(),
                "entity", "tp", "fp", "fn", "precision", "recall");
        counts.forEach((e, c) -> System.out.printf("  %-14s %5d %5d %5d %9.3f %7.3f%n", e, c[0], c[1], c[2],
                c[0] + c[1] == 0 ? 1.0 : (double) c[0] / (c[0] + c[1]), c[0] + c[2] == 0 ? 1.0 : (double) c[0] / (c[0] + c[2])));
    }

    private static Map<Entity, Integer> count(Matcher m) {
        Map<Entity, Integer> n = new EnumMap<>(Entity.class);
        while (m.find()) {
            n.merge(Entity.valueOf(m.group(1)), 1, Integer::sum);
        }
        return n;
    }
}
