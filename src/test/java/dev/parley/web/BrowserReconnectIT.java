package dev.parley.web;

import dev.parley.testing.Chromium;
import dev.parley.testing.PackagedParley;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The browser page survives a server restart mid-sentence, on the packaged jar: killed with
 * {@code kill -9}, or stopped with SIGTERM (a deploy), then started again on the same port. The page
 * says what happened, reconnects with a fresh token into the same transcript as a new session, keeps
 * the unfinished line marked lost, marks the time it was disconnected as a gap, and never sends
 * that time's audio later.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrowserReconnectIT {

    @Test
    void aServerKilledMidSentenceEndsInAReconnectedSessionWithTheLostLineMarked() throws Exception {
        Path dir = PackagedParley.folder("browser-kill");
        PackagedParley first = PackagedParley.start(dir);
        try (Chromium chromium = Chromium.start(BrowserClientTest.microphoneWav(), "reconnect-kill")) {
            startSession(chromium, first);
            WebDriverWait wait = new WebDriverWait(chromium.driver(), Chromium.WAIT);
            // Mid-sentence: a partial is showing, after at least one final.
            midSentence(chromium);
            first.kill();
            wait.until(d -> "reconnecting".equals(chromium.state("state")));
            assertFalse(chromium.driver().findElements(By.cssSelector(".utterance.lost")).isEmpty(),
                    "the unfinished line stays, marked lost");
            assertTrue(chromium.driver().findElements(By.cssSelector(".utterance.partial")).isEmpty(), "nothing pulses live");
            // While the server is down, the page says so and keeps trying.
            wait.until(d -> String.valueOf(chromium.state("state")).equals("reconnecting")
                    && d.findElement(By.id("status")).getText().contains("Server unreachable"));
            long unsentBefore = chromium.number("framesNotSent");
            PackagedParley second = PackagedParley.start(dir, Map.of("PARLEY_PORT", Integer.toString(first.port())));
            try {
                assertReconnected(chromium, unsentBefore);
                second.kill();
            } finally {
                second.close();
            }
            // Start while the server is down: it cannot be reached, and the transcript gets no empty divider.
            long dividers = chromium.driver().findElements(By.cssSelector("#transcript .divider")).size();
            chromium.driver().findElement(By.id("start")).click();
            wait.until(d -> "error".equals(chromium.state("state")));
            WebElement notice = chromium.driver().findElement(By.cssSelector("#notices li[data-code='server_unreachable']"));
            assertTrue(notice.getText().contains("cannot be reached"), notice.getText());
            assertEquals(1, chromium.driver().findElements(By.cssSelector("#notices li")).size(), "one message, not a server error too");
            assertEquals(dividers, chromium.driver().findElements(By.cssSelector("#transcript .divider")).size());
        } finally {
            first.close();
        }
    }

    @Test
    void aServerStoppedForADeployEndsInAReconnectedSessionWithTheGapMarked() throws Exception {
        Path dir = PackagedParley.folder("browser-sigterm");
        PackagedParley first = PackagedParley.start(dir, Map.of("PARLEY_SHUTDOWN_DRAIN_TIMEOUT_S", "10"));
        try (Chromium chromium = Chromium.start(BrowserClientTest.microphoneWav(), "reconnect-sigterm")) {
            startSession(chromium, first);
            WebDriverWait wait = new WebDriverWait(chromium.driver(), Chromium.WAIT);
            midSentence(chromium);
            first.close();                       // SIGTERM, and wait for the drained server to exit
            wait.until(d -> "reconnecting".equals(chromium.state("state")));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> drops = (List<Map<String, Object>>) chromium.state("drops");
            assertEquals(1012L, ((Number) drops.get(0).get("code")).longValue(), "Service Restart: " + drops);
            assertEquals("server_shutdown", drops.get(0).get("reason"), drops.toString());
            long unsentBefore = chromium.number("framesNotSent");
            try (PackagedParley second = PackagedParley.start(dir, Map.of("PARLEY_PORT", Integer.toString(first.port())))) {
                assertReconnected(chromium, unsentBefore);
            }
        } finally {
            first.close();
        }
    }

    private static void startSession(Chromium chromium, PackagedParley parley) {
        chromium.open(parley.http("/"), new Dimension(390, 844));
        WebDriver driver = chromium.driver();
        WebDriverWait wait = new WebDriverWait(driver, Chromium.WAIT);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> "live".equals(chromium.state("state")));
    }

    /** Waits until a partial shows after at least one final: long, as a machine shared by others can be very slow. */
    private static void midSentence(Chromium chromium) {
        new WebDriverWait(chromium.driver(), Chromium.WAIT.multipliedBy(2)).until(d -> chromium.number("finals") >= 1
                && !d.findElements(By.cssSelector(".utterance.partial")).isEmpty());
    }

    /** Live again in a new session, in the same transcript, with the gap marked and its audio never sent. */
    private static void assertReconnected(Chromium chromium, long unsentBefore) throws Exception {
        WebDriver driver = chromium.driver();
        WebDriverWait wait = new WebDriverWait(driver, Chromium.WAIT);
        long finalsBefore = chromium.number("finals");
        wait.until(d -> "live".equals(chromium.state("state")) && chromium.number("reconnects") == 1);
        assertTrue(driver.findElement(By.id("status")).getText().contains("reconnected"), driver.findElement(By.id("status")).getText());
        assertFalse(driver.findElements(By.cssSelector("#notices li[data-code='reconnected']")).isEmpty());
        wait.until(d -> chromium.number("finals") > finalsBefore);
        chromium.screenshot("target/browser-reconnected.png");
        List<WebElement> gaps = driver.findElements(By.cssSelector("#transcript .divider.gap"));
        assertEquals(2, gaps.size(), "lost at, and reconnected at");
        assertTrue(gaps.get(0).getText().startsWith("Connection lost at"), gaps.get(0).getText());
        assertTrue(gaps.get(1).getText().matches("Reconnected at .*: about \\d+ s of speech in between was not captioned"),
                gaps.get(1).getText());
        // The transcript from before the restart is still there, above the new session's lines.
        String order = String.valueOf(chromium.js().executeScript(
                "return Array.from(document.querySelectorAll('#transcript > li'))"
                        + ".map(li => li.classList.contains('gap') ? 'gap' : li.classList.contains('final') ? 'final' : 'other').join(',')"));
        assertTrue(order.matches("final,.*gap,.*gap,.*final.*"), order);
        assertTrue(unsentBefore > 0, "the microphone ran on while disconnected");
        // Audio of the gap would put the new connection's audio ahead of its clock by the gap's length.
        @SuppressWarnings("unchecked")
        Map<String, Object> connection = (Map<String, Object>) chromium.js().executeScript("return window.parley.connection()");
        long audio = ((Number) connection.get("audioMs")).longValue();
        long elapsed = ((Number) connection.get("elapsedMs")).longValue();
        assertTrue(audio <= elapsed + 1000, "audio of the gap is never sent later: " + connection);
        driver.findElement(By.id("stop")).click();
        wait.until(d -> "closed".equals(chromium.state("state")));
    }
}
