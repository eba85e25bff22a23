package io.vkernel.dashboard;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The page is live: it draws what other clients do, offline, and lives through the stream's reconnects. */
class LiveStreamBrowserTest extends BrowserSupport {

    @Test
    void aListenerAndASynRecvMadeByCurlAppearWithNothingLoadedFromOutside() throws Exception {
        openDashboard();
        tab("states");
        api("POST", k + "/processes", "{\"name\":\"server\"}");
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
        packet("S", 1000, null, null);
        waitFor(d -> lit("LISTEN") && lit("SYN_RECV"));
        assertThat(text("#conn-list")).contains("SYN_RECV", "192.168.1.100:54321-10.0.0.50:8080");
        waitFor(d -> all("#wire .pkt").size() == 2);
        assertThat(attributes("#wire .pkt", "data-flags")).containsExactly("S", "S.");
        screenshot("syn-recv");

        // A packet for another host is dropped without a reply: dashed on the ladder, with the reason in words.
        api("POST", k + "/packets", "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.99:8080\",\"flags\":\"S\",\"seq\":5}");
        waitFor(d -> all("#wire .pkt.drop").size() == 1);
        assertThat(text("#wire .pkt.drop")).contains("✕ dropped: NOT_FOR_THIS_HOST", "[S] seq 5");

        @SuppressWarnings("unchecked")
        List<String> loaded = (List<String>) js("return performance.getEntriesByType('resource').map(e => e.name)"
                + ".concat([location.href])");
        assertThat(loaded).isNotEmpty().allMatch(url -> url.startsWith("http://localhost:" + port + "/"));
        String html = page("/");
        assertThat(html).doesNotContain("http://", "https://", "//cdn");
    }

    @Test
    void thePageSurvivesAStreamReconnectWithoutLosingOrDuplicatingEvents() throws Exception {
        openDashboard();
        api("POST", k + "/processes", "{\"name\":\"server\"}");
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
        waitFor(d -> received() == apiEventCount());

        // The server ends each stream after 4 s here; while the browser waits to reconnect, the kernel moves on.
        waitFor(d -> "reconnecting".equals(status("data-state")));
        for (int port = 40000; port < 40010; port++) {
            api("POST", k + "/packets", "{\"src\":\"192.168.1.7:" + port + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":1}");
        }
        assertThat(status("data-state")).isEqualTo("reconnecting");
        waitFor(d -> "live".equals(status("data-state")) && Integer.parseInt(status("data-reconnects")) >= 1);
        int total = apiEventCount();
        waitFor(d -> received() == total);

        assertThat(status("data-last-seq")).isEqualTo(String.valueOf(total));
        assertThat(status("data-duplicates")).isEqualTo("0");
        assertThat(status("data-gaps")).isEqualTo("0");
        tab("events");
        waitFor(d -> el("#event-count").getText().startsWith(total + " events"));
        // Every packet once on the ladder (a windowed list: the rows in view are in the DOM), numbered as the API numbers them.
        tab("send");
        waitFor(d -> el("#wire-count").getText().equals("20 packets"));
        List<Integer> numbers = attributes("#wire .pkt", "data-no").stream().map(Integer::parseInt).toList();
        assertThat(numbers).isNotEmpty().doesNotHaveDuplicates().isSorted().endsWith(20);
        assertThat(numbers.get(numbers.size() - 1) - numbers.get(0)).isEqualTo(numbers.size() - 1);
        screenshot("after-reconnect");
    }

    private boolean lit(String state) {
        // Before the States tab first draws, the diagram has no nodes yet.
        List<String> classes = attributes("#state-diagram [data-state=" + state + "]", "class");
        return !classes.isEmpty() && classes.get(0).contains("lit");
    }

    private String status(String attribute) {
        return attributes("#stream-status", attribute).get(0);
    }

    private int received() {
        return Integer.parseInt(status("data-received"));
    }

    private int apiEventCount() {
        Matcher m = Pattern.compile("\"seq\" : (\\d+)").matcher(api("GET", k + "/events?limit=1000", null));
        int count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }
}
