package io.vkernel.dashboard;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in workshop mode, as an attendee meets it: no token yet, so the page asks for one instead of failing;
 * "New kernel" gets a kernel and a token; the page then drives and watches that kernel live (its event stream sent
 * with the token in a header, through the stream's reconnects), sees none of another attendee's kernels, and switches
 * to another attendee's kernels when given their token. The token never appears in a URL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "vkernel.streams.timeout-ms=4000", "vkernel.workshop.enabled=true",
        "vkernel.workshop.instructor-token=instructor-secret-for-browser-tests", "vkernel.workshop.burst=100000"})
class WorkshopBrowserTest extends BrowserSupport {

    private static final Pattern ISSUED = Pattern.compile("kernel (\\S+) and your token, kept in this tab only: (\\S+)");

    @Test
    void anAttendeeGetsAKernelAndATokenFromThePage_andWatchesOnlyTheirOwnKernelLive() throws Exception {
        assertThat(token).as("the fixture's kernel belongs to another attendee, with a token of its own").isNotBlank();
        driver.get("http://localhost:" + port + "/");
        waitFor(d -> el("#token-field").isDisplayed() && text("#kernel-info").contains("workshop mode"));
        assertThat(text("#kernel-info")).contains("paste your token, or press New kernel");
        assertThat(status("data-state")).as("no stream without a kernel of one's own").isEqualTo("connecting");
        screenshot("no-token");

        click("#new-kernel");
        waitFor(d -> "live".equals(status("data-state")));
        Matcher issued = ISSUED.matcher(text("#console"));
        assertThat(issued.find()).as("the token is shown once, to copy for curl: " + text("#console")).isTrue();
        String mine = issued.group(1);
        String myToken = issued.group(2);
        assertThat(js("return sessionStorage.getItem('vkernel.token')")).isEqualTo(myToken);
        assertThat(el("#kernel").getAttribute("value")).isEqualTo(mine);
        assertThat(attributes("#kernel option", "value")).as("only this attendee's kernels").containsExactly(mine);

        // Driven with curl and the same token, the kernel shows up live on the page.
        String km = "/api/v1/kernels/" + mine;
        api("POST", km + "/processes", "{\"name\":\"server\"}", myToken);
        api("POST", km + "/processes/12345/socket", "{}", myToken);
        api("POST", km + "/processes/12345/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}", myToken);
        api("POST", km + "/processes/12345/listen", "{\"fd\":3,\"backlog\":8}", myToken);
        String address = text("#kernel-addr");
        api("POST", km + "/packets", "{\"src\":\"192.168.1.100:54321\",\"dst\":\"" + address + ":8080\",\"flags\":\"S\",\"seq\":1000}", myToken);
        waitFor(d -> all("#wire .pkt").size() == 2);
        assertThat(attributes("#wire .pkt", "data-flags")).containsExactly("S", "S.");

        // The server ends each stream after 4 s here: the page reconnects with its token and resumes where it stopped.
        waitFor(d -> Integer.parseInt(status("data-reconnects")) >= 1 && "live".equals(status("data-state")));
        api("POST", km + "/packets", "{\"src\":\"192.168.1.100:54322\",\"dst\":\"" + address + ":8080\",\"flags\":\"S\",\"seq\":1000}", myToken);
        waitFor(d -> all("#wire .pkt").size() == 4);
        assertThat(status("data-duplicates")).isEqualTo("0");
        assertThat(status("data-gaps")).isEqualTo("0");
        screenshot("own-kernel-live");

        @SuppressWarnings("unchecked")
        List<String> urls = (List<String>) js("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])");
        assertThat(urls).as("a token in a URL would end up in logs and history").noneMatch(url -> url.contains(myToken));

        // Another attendee's token, pasted: the page now shows that attendee's kernel instead.
        type("#token", token);
        el("#token").sendKeys("\n");
        waitFor(d -> kernel.equals(el("#kernel").getAttribute("value")) && "live".equals(status("data-state"))
                && all("#wire .pkt").isEmpty());
        assertThat(attributes("#kernel option", "value")).containsExactly(kernel);

        api("DELETE", km, null, myToken);
    }

    private String status(String attribute) {
        return el("#stream-status").getAttribute(attribute);
    }
}
