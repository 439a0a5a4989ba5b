package dev.parley.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LanguageCodesTest {

    @Test
    void apertiumsIso3CodesMapToIso1AndBack() {
        Map.of("eng", "en", "spa", "es", "cat", "ca", "fra", "fr", "por", "pt", "glg", "gl", "ita", "it",
                "deu", "de", "oci", "oc", "hbs", "sh").forEach((three, one) -> {
                    assertEquals(Optional.of(one), LanguageCodes.toIso1(three), three);
                    assertEquals(Optional.of(three), LanguageCodes.toIso3(one), one);
                });
        assertEquals(Optional.of("he"), LanguageCodes.toIso1("heb"), "the modern code, not the JDK's legacy iw");
        assertEquals(Optional.of("nb"), LanguageCodes.toIso1("nob"));
    }

    @Test
    void variantsAndUnknownCodesHaveNoIso1() {
        assertEquals(Optional.empty(), LanguageCodes.toIso1("cat_valencia"));
        assertEquals(Optional.empty(), LanguageCodes.toIso1("xyz"));
        assertEquals(Optional.empty(), LanguageCodes.toIso1("zh-Hans"));
    }

    @Test
    void normalizeAcceptsCaseRegionsAndIso3() {
        assertEquals("en", LanguageCodes.normalize("en-US"));
        assertEquals("pt", LanguageCodes.normalize("pt_BR"));
        assertEquals("es", LanguageCodes.normalize(" SPA "));
        assertEquals("he", LanguageCodes.normalize("iw"));
        assertEquals("xx", LanguageCodes.normalize("XX"));
        assertEquals("Spanish", LanguageCodes.englishName("es"));
    }
}
