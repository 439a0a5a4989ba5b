package dev.parley.testing;

import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Headless Chromium driven by Selenium, with a WAV file as its microphone: Debian's chromium and
 * chromium-driver, which {@code ./parley test} installs. Nothing is downloaded: Selenium is pointed
 * at both binaries, so Selenium Manager never runs, and the flags keep Chromium off the network.
 * Downloads land in {@link #downloads()}.
 */
public final class Chromium implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    /** Chromium on a loaded 2-core machine is slow: waits are generous. */
    public static final Duration WAIT = Duration.ofSeconds(60);

    private final ChromeDriver driver;
    private final Path profile;
    private final Path downloads;

    private Chromium(ChromeDriver driver, Path profile, Path downloads) {
        this.driver = driver;
        this.profile = profile;
        this.downloads = downloads;
    }

    /** A browser whose microphone plays {@code microphone} in a loop; {@code name} names its log under target/. */
    public static Chromium start(Path microphone, String name) throws IOException {
        return start(microphone, name, Map.of(), List.of());
    }

    /**
     * As {@link #start(Path, String)}, with Chromium's environment extended by {@code env} (HOME, for its
     * certificate store) and {@code arguments} added to its command line.
     */
    public static Chromium start(Path microphone, String name, Map<String, String> env, List<String> arguments) throws IOException {
        return start(microphone, name, env, arguments, Map.of());
    }

    /**
     * As above, with WebDriver capabilities (e.g. {@code goog:loggingPrefs} for the network log); a null
     * {@code microphone} gives a browser with no fake microphone (pages that capture nothing).
     */
    public static Chromium start(Path microphone, String name, Map<String, String> env, List<String> arguments,
                                 Map<String, Object> capabilities) throws IOException {
        if (!Files.isExecutable(BINARY) || !Files.isExecutable(DRIVER)) {
            throw new IllegalStateException("needs /usr/bin/chromium and /usr/bin/chromedriver (Debian packages chromium, chromium-driver)");
        }
        Path profile = Files.createTempDirectory("parley-chromium");
        Path downloads = Files.createDirectories(profile.resolve("downloads"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments(
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-default-apps",
                "--disable-extensions", "--disable-features=Translate,OptimizationHints,MediaRouter",
                "--user-data-dir=" + profile.resolve("profile"),
                "--window-size=1280,900",
                "--autoplay-policy=no-user-gesture-required");
        if (microphone != null) {
            options.addArguments("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    "--use-file-for-fake-audio-capture=" + microphone.toAbsolutePath());
        }
        options.addArguments(arguments);
        capabilities.forEach(options::setCapability);
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(), "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .withEnvironment(env)
                .withLogFile(new File("target/chromedriver-" + name + ".log"))
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
        driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toString()));
        return new Chromium(driver, profile, downloads);
    }

    public ChromeDriver driver() {
        return driver;
    }

    public JavascriptExecutor js() {
        return driver;
    }

    public Path downloads() {
        return downloads;
    }

    /**
     * Opens the page at {@code size} with nothing kept from an earlier test (its remembered choices and
     * transcript live in the browser's storage), and waits until its script runs.
     */
    public void open(URI page, Dimension size) {
        driver.manage().window().setSize(size);
        driver.get(page.toString());
        js().executeScript("localStorage.clear()");
        driver.navigate().refresh();
        new WebDriverWait(driver, WAIT).until(d -> "complete".equals(js().executeScript("return document.readyState"))
                && "object".equals(js().executeScript("return typeof window.parley")));
    }

    /** A field of the page's {@code window.parley}, or all of it (as plain JSON values) for null. */
    public Object state(String key) {
        return key == null
                ? js().executeScript("return JSON.parse(JSON.stringify(window.parley))")
                : js().executeScript("return window.parley[arguments[0]]", key);
    }

    public long number(String key) {
        Object value = state(key);
        return value instanceof Number n ? n.longValue() : -1;
    }

    /**
     * The messages the page showed in this session, as "code: text", but for the server saying it fell
     * behind (`overloaded`): on a loaded test machine that is the machine's doing, not the page's.
     */
    @SuppressWarnings("unchecked")
    public List<String> noticesButOverload() {
        List<String> shown = new ArrayList<>();
        for (Map<String, Object> notice : (List<Map<String, Object>>) state("notices")) {
            if (!"overloaded".equals(notice.get("code"))) {
                shown.add(notice.get("code") + ": " + notice.get("text"));
            }
        }
        return shown;
    }

    /**
     * Runs axe-core (pinned in src/test/node) on the page as it is now: the serious and critical
     * violations, each as "rule: help (targets)".
     */
    @SuppressWarnings("unchecked")
    public List<String> seriousAccessibilityViolations() throws IOException {
        if (!"object".equals(js().executeScript("return typeof window.axe"))) {
            js().executeScript(Files.readString(NodeClients.file("axe-core", "axe.min.js"), StandardCharsets.UTF_8));
        }
        List<Map<String, Object>> violations = (List<Map<String, Object>>) js().executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "axe.run(document, {resultTypes: ['violations']})"
                        + ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                        + "  targets: v.nodes.map(n => n.target.join(' '))}))))"
                        + ".catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), targets: []}]));");
        List<String> serious = new ArrayList<>();
        for (Map<String, Object> v : violations) {
            if ("serious".equals(v.get("impact")) || "critical".equals(v.get("impact"))) {
                serious.add(v.get("id") + ": " + v.get("help") + " " + v.get("targets"));
            }
        }
        return serious;
    }

    public void screenshot(String path) throws IOException {
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Files.createDirectories(Path.of(path).getParent());
        Files.copy(shot.toPath(), Path.of(path), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits until a download whose name ends with {@code suffix} is complete, and reads it. */
    public String download(String suffix) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(downloads)) {
                List<Path> done = files.filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
                if (done.size() == 1) {
                    return Files.readString(done.get(0), StandardCharsets.UTF_8);
                }
            }
            Thread.sleep(100);
        }
        try (var files = Files.list(downloads)) {
            throw new AssertionError("no download *" + suffix + "; the folder holds " + files.toList());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
