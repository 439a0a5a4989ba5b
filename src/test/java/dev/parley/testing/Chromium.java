package dev.parley.testing;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Headless Chromium for the page tests: Debian's chromium and chromium-driver, which {@code ./parley
 * test} installs, with the flags that keep it off the network (DEVELOPERS.md). Nothing is downloaded:
 * Selenium is pointed at both binaries, so Selenium Manager never runs.
 */
public final class Chromium {

    public static final Path BINARY = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY) && Files.isExecutable(DRIVER);
    }

    /** Options with the common flags, a profile folder of its own, and the test's own flags. */
    public static ChromeOptions options(Path profile, String... more) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments(
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-default-apps",
                "--disable-extensions", "--disable-features=Translate,OptimizationHints,MediaRouter",
                "--user-data-dir=" + profile);
        options.addArguments(more);
        return options;
    }

    /** Quits the browser, then stops the server and deletes the browser's folder, whatever fails first. */
    public static void stop(WebDriver driver, AutoCloseable server, Path folder) throws Exception {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            try {
                if (server != null) {
                    server.close();
                }
            } finally {
                if (folder != null) {
                    try (var files = Files.walk(folder)) {
                        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }

    /** A driver for these options, logging to {@code target/<log>}, with the environment given. */
    public static ChromeDriver start(ChromeOptions options, String log, Map<String, String> environment) {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .withEnvironment(environment)
                .withLogFile(new File("target/" + log))
                .build();
        return new ChromeDriver(service, options);
    }
}
