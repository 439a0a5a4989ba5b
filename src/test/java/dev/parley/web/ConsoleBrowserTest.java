package dev.parley.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.telephony.Archives;
import dev.parley.telephony.AudioHookClient;
import dev.parley.telephony.SocketClient;
import dev.parley.telephony.Telephone;
import dev.parley.telephony.TwilioStream;
import dev.parley.telephony.twilio.TwilioSignature;
import dev.parley.testing.Chromium;
import dev.parley.testing.LibriVox;
import dev.parley.testing.ListenClient;
import dev.parley.testing.LogCapture;
import dev.parley.testing.ParleyServer;
import dev.parley.testing.WavFile;
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
import org.openqa.selenium.WindowType;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The supervisors' console in real Chromium, on a real Parley: a Twilio call (customer and agent),
 * Parley's own page speaking into a fake microphone in another window of the same Chromium, and a
 * /v1/listen client with record=false run at once; all are in the live list; the watched Twilio call
 * shows both parties' finals and translations as they come, and says it cannot be paused. Then a
 * supervisor pauses and resumes an AudioHook call from the console: the client hears 'pause' and
 * 'resume', the audit log names her, and the archive keeps nothing said meanwhile. After the calls, a
 * search for a word said in the Twilio call finds it only; its third line plays audio.wav from that
 * line's start over HTTP ranges; its downloads parse. Screenshots go to target/console-*.png (the ones
 * in docs/ are from this test).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConsoleBrowserTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String TWILIO_TOKEN = "twilio-auth-token-for-console";
    private static final String KEY = "carol-staff-key-0123456789";
    private static final String AUDIOHOOK_KEY = "audiohook-key-for-console";
    private static final byte SILENCE = (byte) 0xFF;   // mu-law zero
    private static final ObjectMapper JSON = new ObjectMapper();

    private ParleyServer parley;
    private Chromium browser;
    private WebDriver driver;
    private String console;
    private String page;

    @BeforeAll
    void start() throws Exception {
        parley = ParleyServer.start(Map.of("parley.console.staff", "carol:" + KEY, "parley.twilio.auth-token", TWILIO_TOKEN,
                "parley.audiohook.api-keys", AUDIOHOOK_KEY,
                "parley.translation.targets", "es", "parley.session.max-queued-audio-ms", "30000",
                "parley.recognizer.pocketsphinx.warm-decoders", "4"));
        // The browser's network log: how Parley answered the media element's requests.
        org.openqa.selenium.logging.LoggingPreferences logs = new org.openqa.selenium.logging.LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        // One Chromium, two windows: the console, and Parley's page with a LibriVox recording as its
        // microphone. Neither window is throttled while the other is in front.
        browser = Chromium.start(BrowserClientTest.microphoneWav(), "console", Map.of(), List.of("--window-size=1400,900",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows"), Map.of("goog:loggingPrefs", logs));
        driver = browser.driver();
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            parley.close();
        }
    }

    @Test
    void aSupervisorWatchesCallsLivePausesOneThenFindsAndReplaysOne() throws Exception {
        try (LogCapture log = LogCapture.start()) {
            watchAndPauseThenFindAndReplay(log);
        }
    }

    private void watchAndPauseThenFindAndReplay(LogCapture log) throws Exception {
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        console = driver.getWindowHandle();
        driver.get(parley.http("/console").toString());
        driver.findElement(By.id("name")).sendKeys("carol");
        driver.findElement(By.id("key")).sendKeys(KEY);
        driver.findElement(By.id("sign-in")).click();
        wait.until(d -> d.findElement(By.id("who")).getText().contains("carol"));
        assertFalse(driver.getPageSource().contains(KEY), "no key in the page");
        assertEquals(0L, js("return document.cookie.length"), "the session cookie is HttpOnly: no script reads it");

        // The browser session: Parley's page, English to Spanish, recorded, listening to its microphone.
        driver.switchTo().newWindow(WindowType.WINDOW);
        page = driver.getWindowHandle();
        browser.open(parley.http("/"), new Dimension(1280, 900));
        wait.until(d -> d.findElements(By.cssSelector("#targets input[value='es']")).size() == 1);
        assertTrue(driver.findElement(By.cssSelector("#targets input[value='es']")).isSelected(), "Spanish is chosen");
        driver.findElement(By.xpath("//input[@name='record' and @value='true']/ancestor::label")).click();
        driver.findElement(By.id("start")).click();
        wait.until(d -> "live".equals(browser.state("state")) && browser.state("sessionId") != null);
        String pageId = (String) browser.state("sessionId");

        // Meanwhile a Twilio call (the customer, then the agent, then the customer) and a record=false API client.
        Telephone.Call call = Telephone.takingTurns("0870", "0920", "0890");
        CompletableFuture<Void> twilio = CompletableFuture.runAsync(() -> twilioCall(call));
        CompletableFuture<ListenClient> unrecorded = CompletableFuture.supplyAsync(() -> listen("0930", false));

        driver.switchTo().window(console);
        wait.until(d -> d.findElements(By.cssSelector("#live-calls tr[data-ingest='twilio']")).size() == 1
                && d.findElements(By.cssSelector("#live-calls tr[data-ingest='listen']")).size() == 2);
        assertTrue(driver.findElement(By.id("live-calls")).getText().contains("(not recorded)"),
                "the record=false session is live, and said to be unrecorded");
        // The list is redrawn every 2 s: each row is read, and clicked, in one script.
        Map<?, ?> rowsNow = (Map<?, ?>) js("const rows = {};"
                + "for (const tr of document.querySelectorAll('#live-calls tbody tr')) rows[tr.dataset.session] = tr.innerText;"
                + "return rows;");
        String twilioId = (String) js("return document.querySelector(\"#live-calls tr[data-ingest='twilio']\").dataset.session");
        String twilioRow = String.valueOf(rowsNow.get(twilioId));
        String unrecordedId = rowsNow.entrySet().stream().filter(e -> String.valueOf(e.getValue()).contains("(not recorded)"))
                .map(e -> String.valueOf(e.getKey())).findFirst().orElseThrow();
        assertTrue(twilioRow.contains("crm_id=T-42"), twilioRow);
        assertTrue(twilioRow.contains("customer en→es") && twilioRow.contains("agent en→es"), twilioRow);
        String pageRow = String.valueOf(rowsNow.get(pageId));
        assertTrue(pageRow.contains("listen") && !pageRow.contains("(not recorded)") && pageRow.contains("en→es"),
                "the page's session is live: " + rowsNow);
        wait.until(d -> d.findElements(By.cssSelector("#live-calls td.health span[data-level]")).size() == 3);
        screenshot("console-live");

        js("document.querySelector(\"#live-calls tr[data-ingest='twilio'] a\").click()");
        wait.until(d -> bothPartiesTranslated());
        // A Twilio media stream has no pause: the console offers none, and says why.
        WebElement noPause = driver.findElement(By.id("no-pause"));
        assertTrue(noPause.isDisplayed() && noPause.getText().contains("twilio stream has no way to pause"), noPause.getText());
        assertFalse(driver.findElement(By.id("pause")).isDisplayed(), "no Pause button for a call that cannot pause");
        screenshot("console-watch");

        twilio.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        ListenClient unrecordedClient = unrecorded.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        List<String> otherCalls = new ArrayList<>();
        unrecordedClient.events("transcript.final").forEach(f -> otherCalls.addAll(words(f.path("text").asText())));
        unrecordedClient.close();
        wait.until(d -> d.findElement(By.id("watch-state")).getText().startsWith("ended"));
        assertFalse(noPause.isDisplayed(), "nothing to act on once the call has ended");
        // Every final the archive holds of the call is on the watched page, with its party.
        List<JsonNode> archivedFinals = archivedFinals(twilioId);
        assertEquals(archivedFinals.size(), driver.findElements(By.cssSelector("#lanes .line.final")).size());

        // The page's session ends with Stop, as its user ends it; it heard and translated its microphone.
        driver.switchTo().window(page);
        driver.findElement(By.id("stop")).click();
        wait.until(d -> Boolean.TRUE.equals(browser.state("sessionClosed")) && "closed".equals(browser.state("state")));
        assertTrue(browser.number("finals") >= 1 && browser.number("translations") >= 1, String.valueOf(browser.state(null)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> pageReceived = (List<Map<String, Object>>) browser.state("received");
        pageReceived.forEach(r -> otherCalls.addAll(words(String.valueOf(r.get("text")))));
        driver.switchTo().window(console);

        otherCalls.addAll(pauseAndResumeAnAudioHookCall(log));
        String word = archivedFinals.stream().flatMap(f -> words(f.path("text").asText()).stream())
                .filter(w -> w.length() > 3 && !otherCalls.contains(w)).findFirst().orElseThrow();

        // The archive: the word finds the Twilio call only; the record=false session is nowhere.
        driver.findElement(By.id("nav-archive")).click();
        WebElement q = wait.until(d -> d.findElement(By.id("q")));
        q.sendKeys(word);
        driver.findElement(By.id("search-button")).click();
        wait.until(d -> d.findElement(By.id("result-count")).getText().equals("1 call(s)"));
        List<WebElement> rows = driver.findElements(By.cssSelector("#results tbody tr"));
        assertEquals(List.of(twilioId), rows.stream().map(r -> r.getAttribute("data-session")).toList());
        String everything = (String) jsAsync("const done = arguments[arguments.length - 1];"
                + "fetch('/api/sessions/search?size=200').then(r => r.text()).then(done);");
        assertFalse(everything.contains(unrecordedId), everything);
        assertEquals(3, JSON.readTree(everything).path("total").asInt(),
                "the Twilio call, the page's session and the AudioHook call: " + everything);

        // The call: click its third line, and the player plays audio.wav from there.
        rows.get(0).findElement(By.tagName("a")).click();
        wait.until(d -> d.findElements(By.cssSelector("#call-lines .line")).size() >= 3);
        WebElement third = driver.findElements(By.cssSelector("#call-lines .line")).get(2);
        double start = Long.parseLong(third.getAttribute("data-start")) / 1000.0;
        third.click();
        Map<?, ?> playing = (Map<?, ?>) wait.until(d -> {
            Object state = js("const p = document.getElementById('player');"
                    + "return p.paused ? null : {t: p.currentTime, paused: p.paused};");
            return state;
        });
        double at = ((Number) playing.get("t")).doubleValue();
        assertEquals(Boolean.FALSE, playing.get("paused"));
        assertTrue(at >= start && at <= start + 1.0, "playing at " + at + " s; the line starts at " + start + " s");
        wait.until(d -> third.getAttribute("class").contains("playing"));
        screenshot("console-call");
        assertTrue(mediaStatuses(twilioId).contains(206L), "the media element's requests were answered 206: " + mediaStatuses(twilioId));

        // Downloads: each link's file, fetched as the browser does, parses.
        List<WebElement> links = driver.findElements(By.cssSelector("#downloads a"));
        List<String> files = links.stream().map(a -> a.getAttribute("data-file")).toList();
        assertTrue(files.containsAll(List.of("transcript.jsonl", "transcript.txt", "audio.wav", "captions.en.vtt",
                "captions.en.srt", "captions.es.vtt", "captions.es.srt")), files.toString());
        for (WebElement link : links) {
            String file = link.getAttribute("data-file");
            String body = (String) jsAsync("const done = arguments[arguments.length - 1];"
                    + "fetch(arguments[0]).then(async r => done(r.status + ' ' + r.headers.get('content-disposition') + '\\n'"
                    + " + (arguments[0].includes('audio.wav') ? String.fromCharCode(...new Uint8Array(await r.arrayBuffer()).slice(0, 4))"
                    + " : await r.text())));", link.getAttribute("href"));
            String[] parts = body.split("\n", 2);
            assertTrue(parts[0].startsWith("200 attachment"), file + ": " + parts[0]);
            String content = parts[1];
            if (file.equals("audio.wav")) {
                assertEquals("RIFF", content);
            } else if (file.equals("transcript.jsonl")) {
                for (String line : content.split("\n")) {
                    assertEquals(twilioId, JSON.readTree(line).path("session_id").asText());
                }
            } else if (file.endsWith(".vtt")) {
                assertTrue(content.startsWith("WEBVTT") && content.contains(" --> "), content);
            } else if (file.endsWith(".srt")) {
                assertTrue(content.matches("(?s)1\\r?\\n\\d\\d:\\d\\d:\\d\\d,\\d{3} --> .*"), content);
            } else {
                assertTrue(content.lines().allMatch(l -> l.matches("\\[[0-9:. -]+] (customer|agent) (-> )?(en|es): .*")), content);
                assertTrue(content.contains(word), content);
            }
        }
    }

    /**
     * An AudioHook call (mono, the customer) that the supervisor watches, pauses while a card number is
     * read, and resumes: returns the words of its finals.
     */
    private List<String> pauseAndResumeAnAudioHookCall(LogCapture log) throws Exception {
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        String conversation = UUID.randomUUID().toString();
        byte[] before = AudioHookClient.part("0880");
        byte[] card = AudioHookClient.part("0930");    // said after Parley stopped keeping audio
        byte[] after = AudioHookClient.part("0880");
        String hookId;
        long pausedMs;
        try (SocketClient ws = SocketClient.connect(URI.create("ws://127.0.0.1:" + parley.port() + "/audiohook"),
                Map.of("Audiohook-Organization-Id", "d7934305-0972-4844-938e-9060eef73d05", "X-API-KEY", AUDIOHOOK_KEY))) {
            AudioHookClient hook = new AudioHookClient(ws);
            hook.open(conversation, false);
            driver.findElement(By.id("nav-live")).click();
            wait.until(d -> d.findElements(By.cssSelector("#live-calls tr[data-ingest='audiohook']")).size() == 1);
            hookId = (String) js("const a = document.querySelector(\"#live-calls tr[data-ingest='audiohook'] a\");"
                    + "a.click(); return a.closest('tr').dataset.session;");
            wait.until(d -> d.findElement(By.id("controls")).isDisplayed());
            assertFalse(driver.findElement(By.id("no-pause")).isDisplayed());
            assertEquals("recording", driver.findElement(By.id("recording")).getText());
            hook.stream(before);
            ws.send(hook.message("ping"));
            hook.expect("pong");   // all audio sent so far has arrived

            driver.findElement(By.id("pause")).click();
            assertEquals("{}", hook.expect("pause").path("parameters").toString());
            wait.until(d -> d.findElement(By.id("recording")).getText().startsWith("recording paused at"));
            hook.stream(card);   // still on its way when the client heard 'pause'
            ws.send(hook.message("paused"));
            long pausedAt = System.nanoTime();
            screenshot("console-pause");
            assertFalse(driver.findElement(By.id("pause")).isEnabled(), "a paused call offers Resume, not Pause");
            driver.findElement(By.id("resume")).click();
            hook.expect("resume");
            pausedMs = (System.nanoTime() - pausedAt) / 1_000_000;
            ObjectNode resumed = hook.message("resumed");   // its position leaves the paused time out
            ((ObjectNode) resumed.get("parameters")).put("start", AudioHookClient.duration(hook.samples))
                    .put("discarded", AudioHookClient.duration(pausedMs * 8));
            ws.send(resumed);
            hook.stream(after);
            ws.send(hook.message("close"));
            hook.expect("closed");
        }
        wait.until(d -> d.findElement(By.id("watch-state")).getText().startsWith("ended"));
        String notices = driver.findElement(By.id("notices")).getText();
        assertTrue(notices.contains("audio.paused at") && notices.contains("audio.resumed at"), notices);
        for (String action : List.of("pause", "resume")) {
            assertTrue(log.text().contains("staff=carol action=" + action + " session=" + hookId), "the audit log names carol: " + action);
        }

        // The archive holds the call as long as it lasted, with silence and no words from the pause.
        Path folder = Archives.await(parley.archive(), "conversation_id", conversation, Duration.ofSeconds(30));
        List<JsonNode> events = Archives.transcript(folder);
        long pausedAtMs = Archives.ofType(events, "audio.paused").get(0).path("at_ms").asLong();
        long resumedAtMs = Archives.ofType(events, "audio.resumed").get(0).path("at_ms").asLong();
        assertEquals(before.length / 8, pausedAtMs, "paused where the supervisor clicked");
        assertEquals((before.length + card.length) / 8 + pausedMs, resumedAtMs, "resumed where the client resumed");
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(before);
        expected.write(silence(resumedAtMs * 8 - before.length));
        expected.write(after);
        assertArrayEquals(expected.toByteArray(), Archives.wav(folder).data(), "audio.wav: silence from the pause to the resumption");
        List<JsonNode> finals = Archives.ofType(events, "transcript.final");
        assertTrue(finals.stream().noneMatch(f -> f.path("end_ms").asLong() > pausedAtMs && f.path("start_ms").asLong() < resumedAtMs),
                "no words from the pause: " + finals);
        assertTrue(finals.stream().anyMatch(f -> f.path("start_ms").asLong() >= resumedAtMs), "words after the resumption: " + finals);
        return finals.stream().flatMap(f -> words(f.path("text").asText()).stream()).toList();
    }

    private static byte[] silence(long bytes) {
        byte[] out = new byte[(int) bytes];
        Arrays.fill(out, SILENCE);
        return out;
    }

    private static List<String> words(String text) {
        return Arrays.asList(text.split("\\W+"));
    }

    private boolean bothPartiesTranslated() {
        for (String party : List.of("customer", "agent")) {
            if (driver.findElements(By.cssSelector(".lane[data-channel='" + party + "'] .line.final .tr[data-lang='es']")).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private void twilioCall(Telephone.Call call) {
        String url = "wss://127.0.0.1:" + parley.port() + "/twilio/media";
        try (SocketClient ws = SocketClient.connect(parley.wsWithoutToken("/twilio/media"),
                Map.of("X-Twilio-Signature", TwilioSignature.sign(TWILIO_TOKEN, url)))) {
            TwilioStream s = new TwilioStream(ws, "console");
            s.start(List.of("inbound", "outbound"), Map.of("customer_targets", "es", "agent_targets", "es", "crm_id", "T-42"));
            s.audio(Map.of("inbound", call.audio().get("customer"), "outbound", call.audio().get("agent")), 1.0);
            s.stop();
            ws.awaitClose(Duration.ofSeconds(60));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ListenClient listen(String recording, boolean record) {
        try {
            WavFile audio = LibriVox.get(recording).at(24000);
            ListenClient client = ListenClient.connect(parley.ws("/v1/listen?source=en&targets=es&record=" + record
                    + "&meta.call_id=WEB-" + recording));
            client.stream(WavFile.quiet(24000, 3000), 24000 * 2 / 25, 24000 * 2, true);
            client.stream(audio.pcm(), 24000 * 2 / 25, 24000 * 2, true);
            client.stream(WavFile.quiet(24000, 1000), 24000 * 2 / 25, 24000 * 2, true);
            client.endInput();
            client.await("session.closed", Duration.ofSeconds(60));
            return client;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private List<JsonNode> archivedFinals(String sessionId) throws Exception {
        try (var files = Files.walk(parley.archive())) {
            Path transcript = files.filter(p -> p.endsWith(Path.of(sessionId, "transcript.jsonl"))).findFirst().orElseThrow();
            List<JsonNode> finals = new ArrayList<>();
            for (String line : Files.readAllLines(transcript)) {
                JsonNode event = JSON.readTree(line);
                if (event.path("type").asText().equals("transcript.final")) {
                    finals.add(event);
                }
            }
            return finals;
        }
    }

    /** HTTP statuses of the browser's requests for the session's audio.wav, from its network log. */
    private List<Long> mediaStatuses(String sessionId) throws Exception {
        List<Long> statuses = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message = JSON.readTree(entry.getMessage()).path("message");
            JsonNode response = message.path("params").path("response");
            if (message.path("method").asText().equals("Network.responseReceived")
                    && response.path("url").asText().endsWith("/api/sessions/" + sessionId + "/audio.wav")) {
                statuses.add(response.path("status").asLong());
            }
        }
        return statuses;
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private Object jsAsync(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    private void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target", name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
