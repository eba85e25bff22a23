package io.vkernel.dashboard;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the dashboard in Debian's Chromium, driven by Selenium through Debian's chromedriver (never a downloaded
 * browser: the driver path is given, so Selenium Manager stays idle). Each test gets its own kernel, seeded so
 * its ISNs and buckets are the README's, opens {@code /?kernel=...} and leaves a screenshot in
 * {@code target/browser/}. Event streams end every 4 s here, so every test also lives through reconnects.
 * Without Chromium the tests are skipped with the command that installs it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"vkernel.streams.timeout-ms=4000"})
abstract class BrowserSupport {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String INSTALL = "apt-get update && apt-get install -y chromium chromium-driver";
    static final Path SHOTS = Path.of("target", "browser");
    private static final AtomicInteger KERNELS = new AtomicInteger();

    @LocalServerPort
    int port;

    WebDriver driver;
    String kernel;
    String k;
    /** In workshop mode, the token creating this test's kernel gave (the API calls below send it); otherwise null. */
    String token;
    private Path profile;
    private String testName;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void startBrowser(TestInfo info) throws IOException {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and chromedriver are not installed at /usr/bin; the browser tests need them: " + INSTALL);
        testName = getClass().getSimpleName() + "-" + info.getTestMethod().map(m -> m.getName()).orElse("test");
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        profile = Files.createTempDirectory("vkernel-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,800", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        // --window-size sizes the window; make the page itself 1280x800, the projector the dashboard is made for.
        driver.get("about:blank");
        long width = (Long) js("return window.innerWidth");
        long height = (Long) js("return window.innerHeight");
        driver.manage().window().setSize(new Dimension(1280 + (int) (1280 - width), 800 + (int) (800 - height)));
        kernel = "browser-" + KERNELS.incrementAndGet();
        k = "/api/v1/kernels/" + kernel;
        String created = api("POST", "/api/v1/kernels", "{\"id\":\"" + kernel + "\",\"seed\":1}");
        Matcher issued = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(created);
        token = issued.find() ? issued.group(1) : null;
    }

    @AfterEach
    void stopBrowser() throws IOException {
        if (driver == null) {
            return;
        }
        try {
            screenshot("end");
        } finally {
            driver.quit();
            api("DELETE", k, null);
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    /** Opens the dashboard on this test's kernel and waits until its event stream is live. */
    void openDashboard() {
        driver.get("http://localhost:" + port + "/?kernel=" + kernel);
        waitFor(d -> "live".equals(d.findElement(By.id("stream-status")).getAttribute("data-state")));
    }

    void screenshot(String moment) throws IOException {
        Files.createDirectories(SHOTS);
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SHOTS.resolve(testName + "-" + moment + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    <T> T waitFor(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, Duration.ofSeconds(20), Duration.ofMillis(50)).until(condition);
    }

    WebElement el(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** Clicks what css finds, again if a redraw replaced it in between (live views redraw as events arrive). */
    void click(String css) {
        waitFor(d -> {
            try {
                List<WebElement> found = all(css);
                if (found.isEmpty()) {
                    return false;
                }
                found.get(0).click();
                return true;
            } catch (StaleElementReferenceException redrawn) {
                return false;
            }
        });
    }

    /** One attribute of every element css finds, read in one step so a redraw cannot come in between. */
    @SuppressWarnings("unchecked")
    List<String> attributes(String css, String attribute) {
        return (List<String>) js("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.getAttribute(arguments[1]))",
                css, attribute);
    }

    /** The rendered text of the first element css finds, or "" (read in one step, as above). */
    String text(String css) {
        return (String) js("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css);
    }

    void tab(String name) {
        el("#tab-" + name).click();
    }

    void select(String css, String value) {
        new Select(el(css)).selectByValue(value);
    }

    void type(String css, String text) {
        WebElement input = el(css);
        input.clear();
        input.sendKeys(text);
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** The page itself, as a browser asks for it. */
    String page(String path) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                    .header("accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200 || !response.headers().firstValue("content-type").orElse("").startsWith("text/html")) {
                throw new AssertionError("GET " + path + " answered " + response.statusCode() + " " + response.headers().map());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The public API, as a curl user calls it: answers the body, fails on a 4xx or 5xx. */
    String api(String method, String path, String json) {
        return api(method, path, json, token);
    }

    /** As above, with another bearer token (or none). */
    String api(String method, String path, String json, String bearer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("accept", "application/json");
        if (bearer != null) {
            request = request.header("authorization", "Bearer " + bearer);
        }
        request = json == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("content-type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 400 && !(method.equals("DELETE") && response.statusCode() == 404)) {
                throw new AssertionError(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String packet(String flags, long seq, Long ack, String payload) {
        return api("POST", k + "/packets", "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"" + flags
                + "\",\"seq\":" + seq + (ack == null ? "" : ",\"ack\":" + ack)
                + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + (flags.equals("S") ? ",\"mss\":1460" : "") + "}");
    }

    String syscall(String call, String json) {
        return api("POST", k + "/processes/12345/" + call, json);
    }

    /** The README's lifecycle up to an accepted connection on FD 4, through the API; the SYN-ACK's ISN is 208720245. */
    void establishedOnFd4() {
        api("POST", k + "/processes", "{\"name\":\"server\"}");
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
        packet("S", 1000, null, null);
        packet(".", 1001, 208720246L, null);
        syscall("accept", "{\"fd\":3}");
    }
}
