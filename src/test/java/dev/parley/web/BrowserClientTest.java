package dev.parley.web;

import dev.parley.testing.Chromium;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ParleyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The browser page end to end: headless Chromium with a WAV file as its microphone opens the page
 * served by a real Parley, starts a session (English to Spanish), shows the final transcript and its
 * translation, plays every spoken translation one at a time, and stops.
 *
 * Needs Debian's chromium and chromium-driver, which {@code ./parley test} installs. Nothing is
 * downloaded: Selenium is pointed at both binaries, so Selenium Manager never runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BrowserClientTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private ParleyServer parley;
    private WebDriver driver;
    private Path profile;

    @BeforeAll
    void start() throws Exception {
        assertTrue(Chromium.installed(),
                "needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium, chromium-driver)");
        Path microphone = microphoneWav();
        parley = ParleyServer.start(Map.of());
        profile = Files.createTempDirectory("parley-chromium");

        ChromeOptions options = Chromium.options(profile,
                "--window-size=1280,900",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--use-file-for-fake-audio-capture=" + microphone.toAbsolutePath());
        driver = Chromium.start(options, "chromedriver.log", Map.of());
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    }

    @AfterAll
    void stop() throws Exception {
        Chromium.stop(driver, parley, profile);
    }

    @Test
    void servesThePageAndItsFilesWithoutShadowingTheApi() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
        assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElse(""));
        assertTrue(page.body().contains("<title>Parley"), page.body());

        HttpResponse<String> worklet = get("/capture-worklet.js");
        assertEquals(200, worklet.statusCode());
        assertTrue(worklet.headers().firstValue("Content-Type").orElse("").startsWith("application/javascript"),
                worklet.headers().toString());
        assertEquals("no-cache", worklet.headers().firstValue("Cache-Control").orElse(""));
        assertTrue(get("/app.js").headers().firstValue("Content-Type").orElse("").startsWith("application/javascript"));
        assertTrue(get("/style.css").headers().firstValue("Content-Type").orElse("").startsWith("text/css"));
        assertEquals(200, get("/index.html").statusCode());

        assertEquals(404, get("/missing.js").statusCode());
        assertEquals(404, get("/..%2Fapplication.properties").statusCode());
        assertEquals(404, get("/%2e%2e/README.md").statusCode());
        assertEquals(200, get("/api/languages").statusCode());
        assertEquals(426, get("/v1/listen").statusCode(), "the WebSocket endpoint is still reached");
    }

    @Test
    void captureResamplerFiltersBeforeDecimating() {
        open();
        Object loaded = js().executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "const s = document.createElement('script'); s.src = 'capture-worklet.js';"
                        + "s.onload = () => done(typeof window.ParleyResampler); s.onerror = () => done('error');"
                        + "document.head.appendChild(s);");
        assertEquals("function", loaded);
        for (int rate : new int[] {48000, 44100}) {
            // Pass band: a 1 kHz tone keeps its level. Above 12 kHz (the new Nyquist frequency),
            // naive decimation would fold 15 kHz down to 9 kHz at the same level.
            double pass = toneGainDb(rate, 1000);
            double stop = toneGainDb(rate, 15000);
            double edge = toneGainDb(rate, 13000);
            System.out.printf("Resampler %d -> 24000 Hz: 1 kHz %.3f dB, 13 kHz %.1f dB, 15 kHz %.1f dB%n", rate, pass, edge, stop);
            assertTrue(Math.abs(pass) < 0.1, rate + " Hz: 1 kHz changed by " + pass + " dB");
            assertTrue(stop < -70, rate + " Hz: 15 kHz only down " + stop + " dB");
            assertTrue(edge < -70, rate + " Hz: 13 kHz only down " + edge + " dB");
            long outputs = ((Number) js().executeScript(
                    "const r = new ParleyResampler(arguments[0], 24000); let n = 0;"
                            + "for (let i = 0; i < 100; i++) n += r.process(new Float32Array(arguments[0] / 100)).length;"
                            + "return n;", rate)).longValue();
            assertTrue(Math.abs(outputs - 24000) <= 80, rate + " Hz: 1 s gave " + outputs + " samples at 24 kHz");
        }
    }

    /** Level of a tone after resampling to 24 kHz, relative to its input level, in dB (after the filter's start). */
    private double toneGainDb(int rate, int frequency) {
        return ((Number) js().executeScript(
                "const [rate, f] = [arguments[0], arguments[1]];"
                        + "const r = new ParleyResampler(rate, 24000);"
                        + "const input = new Float32Array(rate);"
                        + "for (let i = 0; i < input.length; i++) input[i] = 0.5 * Math.sin(2 * Math.PI * f * i / rate);"
                        + "const out = [];"
                        + "for (let i = 0; i < input.length; i += 128) out.push(...r.process(input.subarray(i, i + 128)));"
                        + "let sum = 0, n = 0;"
                        + "for (let i = 2400; i < out.length - 2400; i++) { sum += out[i] * out[i]; n++; }"
                        + "const rms = Math.sqrt(sum / n);"
                        + "return 20 * Math.log10(Math.max(rms, 1e-12) / (0.5 / Math.SQRT2));",
                rate, frequency)).doubleValue();
    }

    @Test
    void translatesSpeechAndPlaysEverySpokenTranslationOnce() throws Exception {
        open();
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);

        new Select(driver.findElement(By.id("source"))).selectByValue("en");
        WebElement spanish = driver.findElement(By.cssSelector("#targets input[value='es']"));
        if (!spanish.isSelected()) {
            driver.findElement(By.xpath("//input[@name='target' and @value='es']/ancestor::label")).click();
        }
        assertTrue(spanish.isSelected());
        WebElement start = driver.findElement(By.id("start"));
        assertFalse(start.isEnabled(), "Start waits for the recording-consent answer");
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        assertTrue(start.isEnabled());

        start.click();
        wait.until(d -> !List.of("idle", "connecting").contains(String.valueOf(state("state"))));
        assertEquals("live", state("state"), "page notices: " + state("notices"));

        // A final transcript and its Spanish translation, read from the page.
        wait.until(d -> !finalTexts().isEmpty() && !translationTexts().isEmpty());
        List<String> finals = finalTexts();
        List<String> translations = translationTexts();
        // The first spoken translation has played to its end.
        wait.until(d -> number("clipsEnded") >= 1 && number("playing") == 0);
        screenshot("target/browser-client.png");
        driver.manage().window().setSize(new Dimension(390, 844));
        screenshot("target/browser-client-phone.png");
        driver.manage().window().setSize(new Dimension(1280, 900));

        driver.findElement(By.id("stop")).click();
        wait.until(d -> Boolean.TRUE.equals(state("sessionClosed")) && "closed".equals(state("state")));
        // Everything received is played, one clip after the other.
        wait.until(d -> number("clipsEnded") + number("clipsFailed") == number("ttsReceived")
                && number("playing") == 0 && number("queued") == 0);
        screenshot("target/browser-client-stopped.png");

        Map<?, ?> seen = (Map<?, ?>) state(null);
        System.out.println("Browser client: " + seen);
        assertFalse(finals.get(0).isBlank());
        assertFalse(translations.get(0).isBlank());
        assertTrue(number("finals") >= 1 && number("translations") >= 1, seen.toString());
        assertTrue(number("ttsReceived") >= 1, seen.toString());
        assertEquals(number("ttsReceived"), number("clipsEnded"), "every spoken translation played to its end: " + seen);
        assertEquals(0, number("clipsFailed"), seen.toString());
        assertEquals(1, number("maxConcurrent"), "never two clips at once: " + seen);
        assertEquals("input_audio.end", state("closedReason"));
        assertEquals(1000L, number("closeCode"));
        assertTrue(String.valueOf(state("url")).contains("record=false"), String.valueOf(state("url")));
        assertTrue(String.valueOf(state("url")).contains("targets=es"), String.valueOf(state("url")));
        assertTrue(number("framesSent") > 0, seen.toString());
        assertTrue(number("maxLevelDb") > -40, "the meter heard the microphone: " + seen);
        assertEquals(List.of(), state("notices"), "no warnings or errors shown");
        // The page shows the final's time as mm:ss.
        String time = driver.findElement(By.cssSelector(".utterance.final .time")).getText();
        assertTrue(time.matches("\\d\\d:\\d\\d"), time);
    }

    @Test
    void explainsARefusedOrRateLimitedTokenInPlainWords() {
        for (int status : new int[] {401, 429}) {
            open();
            // The token endpoint answers as it will when auth is on and the caller is refused or too eager.
            js().executeScript(
                    "const status = arguments[0]; const real = window.fetch;"
                            + "window.fetch = (url, init) => String(url).includes('/api/realtime-token')"
                            + "  ? Promise.resolve(new Response('{}', {status, headers: {'Retry-After': '7'}}))"
                            + "  : real(url, init);", status);
            WebDriverWait wait = new WebDriverWait(driver, WAIT);
            wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
            driver.findElement(By.xpath("//input[@name='record' and @value='true']/ancestor::label")).click();
            driver.findElement(By.id("start")).click();
            String code = status == 401 ? "token_refused" : "rate_limited";
            WebElement notice = wait.until(d -> d.findElements(By.cssSelector("#notices li[data-code='" + code + "']"))
                    .stream().findFirst().orElse(null));
            assertEquals("error", state("state"));
            assertEquals(null, state("url"), "no connection was attempted");
            if (status == 429) {
                assertTrue(notice.getText().contains("7 seconds"), notice.getText());
                assertFalse(driver.findElement(By.id("start")).isEnabled(), "Start waits out Retry-After");
            } else {
                assertTrue(notice.getText().contains("access token"), notice.getText());
                assertTrue(driver.findElement(By.id("start")).isEnabled(), "the user can try again");
            }
        }
    }

    private void open() {
        driver.get(parley.http("/").toString());
        driver.manage().window().setSize(new Dimension(1280, 900));
        new WebDriverWait(driver, WAIT).until(d -> js().executeScript("return document.readyState").equals("complete")
                && js().executeScript("return typeof window.parley") .equals("object"));
    }

    private List<String> finalTexts() {
        List<String> texts = new ArrayList<>();
        for (WebElement e : driver.findElements(By.cssSelector(".utterance.final .source"))) {
            if (!e.getText().isBlank()) {
                texts.add(e.getText());
            }
        }
        return texts;
    }

    private List<String> translationTexts() {
        List<String> texts = new ArrayList<>();
        for (WebElement e : driver.findElements(By.cssSelector(".utterance.final .translation[data-lang='es']:not(.pending):not(.failed) .text"))) {
            if (!e.getText().isBlank()) {
                texts.add(e.getText());
            }
        }
        return texts;
    }

    private Object state(String key) {
        return key == null
                ? js().executeScript("return JSON.parse(JSON.stringify(window.parley))")
                : js().executeScript("return window.parley[arguments[0]]", key);
    }

    private long number(String key) {
        Object value = state(key);
        return value instanceof Number n ? n.longValue() : -1;
    }

    private JavascriptExecutor js() {
        return (JavascriptExecutor) driver;
    }

    private void screenshot(String path) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.createDirectories(Path.of(path).getParent());
        Files.copy(shot.toPath(), Path.of(path), StandardCopyOption.REPLACE_EXISTING);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + parley.port() + path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Two LibriVox recordings with a second of silence after each, at 48 kHz: Chromium loops the file
     * as its microphone, so the recognizer hears sentences separated by pauses.
     */
    static Path microphoneWav() throws IOException, InterruptedException {
        Path out = Path.of("target", "browser", "microphone.48000.wav");
        if (Files.exists(out)) {
            return out;
        }
        Files.createDirectories(out.getParent());
        Path first = LibriVox.DIR.resolve("sense_and_sensibility_01_austen_64kb-0880.wav");
        Path second = LibriVox.DIR.resolve("sense_and_sensibility_01_austen_64kb-0930.wav");
        Path a = out.resolveSibling("a.wav");
        Path b = out.resolveSibling("b.wav");
        sox(first.toString(), "-r", "48000", "-b", "16", "-c", "1", a.toString(), "pad", "0", "1");
        sox(second.toString(), "-r", "48000", "-b", "16", "-c", "1", b.toString(), "pad", "0", "1");
        Path partial = out.resolveSibling("microphone.part.wav");
        sox(a.toString(), b.toString(), partial.toString());
        Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
        return out;
    }

    private static void sox(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sox"));
        command.addAll(List.of(args));
        Process sox = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(sox.getInputStream().readAllBytes());
        if (!sox.waitFor(30, TimeUnit.SECONDS) || sox.exitValue() != 0) {
            throw new IOException("sox " + String.join(" ", args) + " failed: " + output);
        }
    }
}
