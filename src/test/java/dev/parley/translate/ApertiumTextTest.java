package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Plain text to Apertium's stream format and back, as apertium-destxt and apertium-retxt do. */
class ApertiumTextTest {

    @Test
    void streamSymbolsAreEscapedAndTheSentenceIsClosedLikeDestxt() {
        assertEquals("a \\[b\\] \\^c\\$ d\\/e \\@f \\<g\\> \\{h\\} \\\\ #1 5*3.[]",
                ApertiumText.encode("a [b] ^c$ d/e @f <g> {h} \\ #1 5*3"));
    }

    @Test
    void whitespaceRunsBecomeOneSpaceAndNulCannotEndARequestEarly() {
        assertEquals("one two three.[]", ApertiumText.encode("  one\n\ttwo \u0000  three\r\n"));
        assertEquals("a [~] b.[]", ApertiumText.encode("a ~ b"));
    }

    @Test
    void decodingUndoesEncoding() {
        String text = "a [b] ^c$ d/e @f <g> {h} \\ #1 5*3 ~ ok?";
        assertEquals(text, ApertiumText.decode(ApertiumText.encode(text)));
    }

    @Test
    void decodingDropsDestxtsMarkAndOpensSuperblanks() {
        assertEquals("Hola mundo.", ApertiumText.decode("Hola mundo..[][\n]"));
        assertEquals("x y", ApertiumText.decode("x[ ]y.[]"));
    }
}
