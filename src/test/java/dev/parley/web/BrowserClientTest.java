package dev.parley.web;

import dev.parley.archive.Captions;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

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

    private static final Duration WAIT = Chromium.WAIT;
    private static final Dimension DESKTOP = new Dimension(1280, 900);
    private static final Dimension PHONE = new Dimension(390, 844);

    private ParleyServer parley;
    private Chromium chromium;
    private WebDriver driver;

    @BeforeAll
    void start() throws Exception {
        Path microphone = microphoneWav();
        // Audio more than 10 s ahead of real time is dropped with `overloaded`: far beyond what a browser
        // on a loaded machine bursts (production's 2 s is not), within reach of a page that sends too fast.
        parley = ParleyServer.start(Map.of("parley.session.max-ahead-ms", "10000"));
        chromium = Chromium.start(microphone, "client");
        driver = chromium.driver();
    }

    @AfterAll
    void stop() throws IOException {
        try {
            if (chromium != null) {
                chromium.close();
            }
        } finally {
            if (parley != null) {
                parley.close();
            }
        }
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
        HttpResponse<byte[]> icon = HttpClient.newHttpClient().send(HttpRequest.newBuilder(parley.http("/favicon.ico")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, icon.statusCode(), "the icon browsers ask for");
        assertEquals(List.of(0, 0, 1, 0), List.of((int) icon.body()[0], (int) icon.body()[1], (int) icon.body()[2], (int) icon.body()[3]),
                "an ICO file");

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
        assertEquals("stop", driver.switchTo().activeElement().getAttribute("id"), "focus moves to Stop");
        wait.until(d -> number("partials") >= 1);
        System.out.println("Start to first partial: " + number("firstPartialMs") + " ms; screen wake lock held: " + state("wakeLock"));

        // A final transcript and its Spanish translation, read from the page.
        wait.until(d -> !finalTexts().isEmpty() && !translationTexts().isEmpty());
        List<String> finals = finalTexts();
        List<String> translations = translationTexts();
        // The first spoken translation has played to its end (or, on a machine too loaded to speak it
        // within 3 s of its text, was skipped as late).
        wait.until(d -> number("clipsEnded") + number("clipsLate") >= 1 && number("playing") == 0);
        screenshot("target/browser-client.png");

        driver.findElement(By.id("stop")).click();
        wait.until(d -> Boolean.TRUE.equals(state("sessionClosed")) && "closed".equals(state("state")));
        // Everything received is played (or skipped as late), one clip after the other.
        wait.until(d -> number("clipsEnded") + number("clipsFailed") + number("clipsLate") == number("ttsReceived")
                && number("playing") == 0 && number("queued") == 0);
        screenshot("target/browser-client-stopped.png");

        Map<?, ?> seen = (Map<?, ?>) state(null);
        System.out.println("Browser client: " + seen);
        assertFalse(finals.get(0).isBlank());
        assertFalse(translations.get(0).isBlank());
        assertTrue(number("finals") >= 1 && number("translations") >= 1, seen.toString());
        assertTrue(number("ttsReceived") >= 1, seen.toString());
        assertEquals(number("ttsReceived"), number("clipsEnded") + number("clipsLate"),
                "every spoken translation played to its end, or was skipped as too late: " + seen);
        assertEquals(0, number("clipsFailed"), seen.toString());
        assertTrue(number("maxConcurrent") <= 1, "never two clips at once: " + seen);
        assertEquals("input_audio.end", state("closedReason"));
        assertEquals(1000L, number("closeCode"));
        assertTrue(String.valueOf(state("url")).contains("record=false"), String.valueOf(state("url")));
        assertTrue(String.valueOf(state("url")).contains("targets=es"), String.valueOf(state("url")));
        assertTrue(number("framesSent") > 0, seen.toString());
        assertTrue(number("maxLevelDb") > -40, "the meter heard the microphone: " + seen);
        assertEquals(List.of(), chromium.noticesButOverload(), "no warnings or errors shown");
        // The page shows the final's clock time, and the language of every line by name.
        String time = driver.findElement(By.cssSelector(".utterance.final .time")).getText();
        assertTrue(time.matches("\\d{1,2}:\\d\\d:\\d\\d.*"), time);
        assertEquals("English", driver.findElement(By.cssSelector(".utterance.final .utterance-body .lang")).getText());
        assertEquals("Spanish", driver.findElement(By.cssSelector(".utterance.final .translation .lang")).getText());
        assertFalse(driver.findElement(By.tagName("body")).getText().contains(String.valueOf(state("sessionId"))),
                "no raw session id on the page");
        assertEquals("start", driver.switchTo().activeElement().getAttribute("id"), "focus returns to Start");
        assertEquals("0%", js().executeScript("return document.getElementById('meter-bar').style.width"),
                "the meter is dark once the microphone is released");
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

    @Test
    void onAPhoneTheCaptionsFollowTheSpeakerSpeakOneChosenLanguageAndLeaveAsFiles() throws Exception {
        chromium.open(parley.http("/"), PHONE);
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='ca']")).size() == 1);
        assertEquals(List.of("es"), checkedTargets(), "a first-time user finds Spanish chosen");
        driver.findElement(By.xpath("//input[@name='target' and @value='ca']/ancestor::label")).click();
        new Select(driver.findElement(By.id("speak-language"))).selectByValue("ca");
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> "live".equals(state("state")));
        assertEquals(Boolean.TRUE, state("echoCancellation"), "echo cancellation is on while the page speaks aloud");
        assertTrue(String.valueOf(state("url")).contains("targets=es%2Cca"), "targets in the order chosen: " + state("url"));

        // After every final, the newest line (and the newest final) is on the 844-px screen, untouched.
        List<String> outOfView = new ArrayList<>();
        long seen = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (number("finals") < 4 && System.nanoTime() < deadline) {
            long finals = number("finals");
            if (finals > seen) {
                seen = finals;
                String where = newestLinesOutOfView();
                if (!where.isEmpty()) {
                    outOfView.add("after final " + finals + ": " + where);
                }
            }
            Thread.sleep(150);
        }
        screenshot("target/browser-client-phone.png");
        assertTrue(number("finals") >= 4, "four finals within 90 s: " + state(null));
        assertEquals(List.of(), outOfView);

        // Unticking Speak silences the clip playing at once.
        wait.until(d -> number("playing") == 1);
        driver.findElement(By.id("speak")).click();
        assertEquals(0L, number("playing"), "stopped at once");
        assertEquals(1L, number("clipsStopped"));
        assertEquals(0L, number("queued"));

        driver.findElement(By.id("stop")).click();
        wait.until(d -> "closed".equals(state("state")) && number("queued") == 0 && number("playing") == 0);
        wait.until(d -> d.findElements(By.cssSelector(".utterance.final .translation.pending")).isEmpty());
        assertEquals("", newestLinesOutOfView(), "after Stop the settings stay folded above the transcript");
        screenshot("target/browser-client-phone-stopped.png");

        // Only the chosen language is spoken, and no clip starts more than 3 s after its translation.
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> clips = (List<Map<String, Object>>) state("clips");
        System.out.println("Spoken clips (language, ms after the translation): " + clips + "; skipped as late: " + number("clipsLate"));
        assertTrue(number("clipsStarted") >= 1, state(null).toString());
        for (Map<String, Object> clip : clips) {
            assertEquals("ca", clip.get("language"), clips.toString());
            assertTrue(((Number) clip.get("delayMs")).longValue() <= 3000, clips.toString());
        }

        // The files, built in the page, hold what it received: its finals, and their translations, in order.
        List<String> finals = receivedFinals();
        List<String> spanish = texts(".utterance.final .translation[data-lang='es']:not(.pending):not(.failed) .text");
        assertEquals(finals, finalTexts());
        new Select(driver.findElement(By.id("export-language"))).selectByValue("en");
        driver.findElement(By.id("download-srt")).click();
        new Select(driver.findElement(By.id("export-language"))).selectByValue("es");
        driver.findElement(By.id("download-vtt")).click();
        driver.findElement(By.id("download-text")).click();
        assertEquals(finals, cueTexts(Captions.parseSrt(chromium.download(".en.srt"))));
        assertEquals(spanish, cueTexts(Captions.parseVtt(chromium.download(".es.vtt"))));
        String text = chromium.download(".txt");
        int at = 0;
        for (String line : finals) {
            int found = text.indexOf(line, at);
            assertTrue(found >= 0, "the text file has \"" + line + "\" after position " + at + ":\n" + text);
            at = found + line.length();
        }
        driver.findElement(By.id("copy")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#notices li[data-code='copied']")).isEmpty());

        // The transcript stays in this browser: a reload shows it again, until Clear.
        driver.navigate().refresh();
        wait.until(d -> "object".equals(js().executeScript("return typeof window.parley")));
        assertEquals(finals, finalTexts());
        assertEquals(List.of("es", "ca"), checkedTargets(), "the choices are remembered, in their order");
        assertEquals("ca", new Select(driver.findElement(By.id("speak-language"))).getFirstSelectedOption().getAttribute("value"));
        assertFalse(driver.findElement(By.id("speak")).isSelected(), "Speak, unticked, stays unticked");
    }

    @Test
    void anOverloadedServerGetsOneQuietNoticeNotOneASecond() {
        open();
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        // This page sends its audio five times over, faster than anyone speaks: Parley drops what runs
        // more than 10 s ahead of real time, and says `overloaded` (at most once a second) while it does.
        js().executeScript("const send = WebSocket.prototype.send;"
                + "WebSocket.prototype.send = function (data) {"
                + "  const times = typeof data === 'string' ? 1 : 5;"
                + "  for (let i = 0; i < times; i++) send.call(this, data); };");
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> number("overloadErrors") >= 4);
        List<WebElement> notices = driver.findElements(By.cssSelector("#notices li[data-code='overloaded']"));
        assertEquals(1, notices.size(), "one notice for " + number("overloadErrors") + " overloaded errors");
        assertEquals(1, number("overloadNotices"), "added once, not once per error");
        assertEquals(null, notices.get(0).getAttribute("role"), "a warning waits for a pause (no alert)");
        assertEquals("polite", driver.findElement(By.id("notices")).getAttribute("aria-live"));
        driver.findElement(By.id("stop")).click();
        wait.until(d -> List.of("closed", "error").contains(String.valueOf(state("state"))));
        assertTrue(driver.findElements(By.cssSelector("#notices li[data-code='overloaded']")).isEmpty(),
                "the notice goes with the session");
    }

    @Test
    void axeFindsNoSeriousOrCriticalViolationWhenIdleLiveEndedOrFailed() throws Exception {
        Map<String, List<String>> found = new java.util.LinkedHashMap<>();
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        chromium.open(parley.http("/"), PHONE);
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        found.put("idle (phone)", chromium.seriousAccessibilityViolations());
        open();
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        found.put("idle", chromium.seriousAccessibilityViolations());
        driver.findElement(By.xpath("//input[@name='record' and @value='false']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> !d.findElements(By.cssSelector(".utterance.partial")).isEmpty());
        found.put("live with partials", chromium.seriousAccessibilityViolations());
        darkMode(true);
        found.put("live with partials (dark)", chromium.seriousAccessibilityViolations());
        darkMode(false);
        wait.until(d -> number("finals") >= 1);
        driver.findElement(By.id("large")).click();
        found.put("large captions", chromium.seriousAccessibilityViolations());
        driver.findElement(By.id("captions-close")).click();
        driver.findElement(By.id("stop")).click();
        wait.until(d -> "closed".equals(state("state")));
        found.put("ended", chromium.seriousAccessibilityViolations());

        open();
        js().executeScript("const real = window.fetch;"
                + "window.fetch = (url, init) => String(url).includes('/api/realtime-token')"
                + "  ? Promise.resolve(new Response('{}', {status: 401})) : real(url, init);");
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        driver.findElement(By.xpath("//input[@name='record' and @value='true']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> "error".equals(state("state")));
        found.put("error", chromium.seriousAccessibilityViolations());
        System.out.println("axe-core serious or critical violations by state: " + found);
        found.values().removeIf(List::isEmpty);
        assertEquals(Map.of(), found);
    }

    private void darkMode(boolean dark) {
        chromium.driver().executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
    }

    /** The page's last line and last final, where either is not wholly on the screen ("" when both are). */
    private String newestLinesOutOfView() {
        return String.valueOf(js().executeScript(
                "const out = [];"
                        + "for (const li of [document.querySelector('#transcript > li:last-child'),"
                        + "                  Array.from(document.querySelectorAll('#transcript .utterance.final')).pop()]) {"
                        + "  if (!li) continue;"
                        + "  const r = li.getBoundingClientRect();"
                        + "  if (r.top < 0 || r.bottom > window.innerHeight + 1) out.push(li.className + ' at y=' + Math.round(r.top)"
                        + "    + '..' + Math.round(r.bottom) + ' of ' + window.innerHeight);"
                        + "}"
                        + "return out.join('; ');"));
    }

    private static List<String> cueTexts(Captions.Parsed parsed) {
        return parsed.cues().stream().map(Captions.Cue::text).toList();
    }

    private List<String> checkedTargets() {
        @SuppressWarnings("unchecked")
        List<String> order = (List<String>) js().executeScript(
                "return JSON.parse(localStorage.getItem('parley.settings.v1') || '{}').targets || []");
        return order;
    }

    private List<String> receivedFinals() {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> received = (List<Map<String, Object>>) state("received");
        return received.stream().map(r -> String.valueOf(r.get("text"))).toList();
    }

    private List<String> texts(String css) {
        List<String> texts = new ArrayList<>();
        for (WebElement e : driver.findElements(By.cssSelector(css))) {
            texts.add(e.getText());
        }
        return texts;
    }

    private void open() {
        chromium.open(parley.http("/"), DESKTOP);
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
        return chromium.state(key);
    }

    private long number(String key) {
        return chromium.number(key);
    }

    private JavascriptExecutor js() {
        return chromium.js();
    }

    private void screenshot(String path) throws IOException {
        chromium.screenshot(path);
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
