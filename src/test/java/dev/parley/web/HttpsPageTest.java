package dev.parley.web;

import dev.parley.http.TlsSettings;
import dev.parley.testing.Chromium;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The browser page over {@code https://} in Chromium, which trusts the test CA (in its own NSS database,
 * as an operator's phone would after installing the office CA). The page is opened as
 * {@code https://parley.test:<port>/}: a name that is not loopback, where a browser gives the
 * microphone only to a secure page. Needs Debian's chromium, chromium-driver and libnss3-tools
 * ({@code certutil}), which {@code ./parley test} installs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HttpsPageTest {

    private static final Path CERTUTIL = Path.of("/usr/bin/certutil");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private ParleyServer parley;
    private WebDriver driver;
    private Path home;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Chromium.installed() && Files.isExecutable(CERTUTIL),
                "needs /usr/bin/chromium, /usr/bin/chromedriver and /usr/bin/certutil (chromium, chromium-driver, libnss3-tools)");
        Path microphone = BrowserClientTest.microphoneWav();
        TestCertificates ca = TestCertificates.create();
        TestCertificates.Pair pair = ca.server("page", 30);
        parley = ParleyServer.start(Map.of(TlsSettings.CERT, pair.cert().toString(), TlsSettings.KEY, pair.key().toString()),
                ca.clientContext());

        // Chromium on Linux trusts the authorities of $HOME/.pki/nssdb: a home of its own, trusting the test root.
        home = Files.createTempDirectory("parley-https-home");
        Path nssdb = Files.createDirectories(home.resolve(".pki/nssdb"));
        run(CERTUTIL.toString(), "-N", "-d", "sql:" + nssdb, "--empty-password");
        run(CERTUTIL.toString(), "-A", "-d", "sql:" + nssdb, "-n", "Parley Test Root CA", "-t", "C,,", "-i", ca.root().toString());

        ChromeOptions options = Chromium.options(home.resolve("profile"),
                "--host-resolver-rules=MAP " + TestCertificates.HOST + " 127.0.0.1",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--use-file-for-fake-audio-capture=" + microphone.toAbsolutePath());
        driver = Chromium.start(options, "chromedriver-https.log", Map.of("HOME", home.toString()));
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    }

    @AfterAll
    void stop() throws Exception {
        Chromium.stop(driver, parley, home);
    }

    @Test
    void aSessionRunsFromASecurePageOverWss() {
        String origin = "https://" + TestCertificates.HOST + ":" + parley.port();
        driver.get(origin + "/");
        // An untrusted certificate shows Chromium's "Privacy error" page instead.
        new WebDriverWait(driver, WAIT).withMessage(() -> "the page did not load; the browser shows \"" + driver.getTitle() + "\"")
                .until(d -> js().executeScript("return document.readyState").equals("complete")
                && js().executeScript("return typeof window.parley").equals("object"));
        assertEquals(Boolean.TRUE, js().executeScript("return window.isSecureContext"), "a trusted https:// page");
        assertEquals(Boolean.TRUE, js().executeScript("return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)"),
                "the microphone is offered");

        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        new Select(driver.findElement(By.id("source"))).selectByValue("en");
        WebElement spanish = driver.findElement(By.cssSelector("#targets input[value='es']"));
        if (!spanish.isSelected()) {
            driver.findElement(By.xpath("//input[@name='target' and @value='es']/ancestor::label")).click();
        }
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> !List.of("idle", "connecting").contains(String.valueOf(state("state"))));
        assertEquals("live", state("state"), "page notices: " + state("notices"));
        assertTrue(String.valueOf(state("url")).startsWith("wss://" + TestCertificates.HOST + ":" + parley.port() + "/v1/listen?"),
                String.valueOf(state("url")));

        wait.until(d -> !texts(".utterance.final .source").isEmpty()
                && !texts(".utterance.final .translation[data-lang='es']:not(.pending):not(.failed) .text").isEmpty());
        System.out.println("Over https: " + texts(".utterance.final .source") + " -> "
                + texts(".utterance.final .translation[data-lang='es'] .text"));
        driver.findElement(By.id("stop")).click();
        wait.until(d -> Boolean.TRUE.equals(state("sessionClosed")) && "closed".equals(state("state")));
        assertEquals(1000L, ((Number) state("closeCode")).longValue());
        assertEquals(List.of(), state("notices"), "no warnings or errors shown");
    }

    private List<String> texts(String css) {
        List<String> texts = new ArrayList<>();
        for (WebElement e : driver.findElements(By.cssSelector(css))) {
            if (!e.getText().isBlank()) {
                texts.add(e.getText());
            }
        }
        return texts;
    }

    private Object state(String key) {
        return js().executeScript("return window.parley[arguments[0]]", key);
    }

    private JavascriptExecutor js() {
        return (JavascriptExecutor) driver;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
