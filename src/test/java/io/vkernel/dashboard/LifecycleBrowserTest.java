package io.vkernel.dashboard;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's pictures drawn by the dashboard as the seed's lifecycle happens: the wire, FDs, states and buckets. */
class LifecycleBrowserTest extends BrowserSupport {

    @Test
    void theSeedsLifecycleThroughThePagesOwnFormsShowsOnTheLadderInOrder() throws Exception {
        openDashboard();
        type("#process-form input[name=name]", "server");
        el("#spawn").click();
        waitFor(d -> el("#pid-select").getText().contains("12345 server"));
        call("socket");
        call("bind");   // fd 3 and 0.0.0.0:8080 are the form's defaults; socket() put its 3 in the fd field
        call("listen");
        kind("syn");
        type("#packet-form input[name=seq]", "1000");
        send();
        kind("ack");
        // Pre-filled from the TCB: seq = RCV.NXT = the client's ISN + 1, ack = SND.NXT = the server's ISN + 1.
        assertThat(el("#packet-form input[name=seq]").getDomProperty("value")).isEqualTo("1001");
        assertThat(el("#packet-form input[name=ack]").getDomProperty("value")).isEqualTo("208720246");
        send();
        call("accept");
        assertThat(lastResult()).contains("accept(3, ").endsWith("= 4");
        kind("data");
        send();
        kind("fin");
        assertThat(el("#packet-form input[name=seq]").getDomProperty("value")).isEqualTo("1022");
        send();

        List<String> wire = waitFor(d -> {
            List<String> flags = attributes("#wire .pkt", "data-flags");
            // S, S., ., P., its ACK, F.: the ACK of a FIN after data waits for the 40 ms delayed-ACK timer, as tcp_fin() has it
            return flags.size() >= 6 ? flags : null;
        });
        assertThat(wire).containsSubsequence("S", "S.", ".", "P.", "F.");
        assertThat(wire).isEqualTo(apiFlags());
        assertThat(attributes("#wire .pkt.in", "data-flags"))
                .containsExactly("S", ".", "P.", "F.");

        // The data segment, clicked: the seed's six steps with the real hash, bucket and bytes queued.
        click("#wire .pkt[data-flags='P.']");
        String detail = waitFor(d -> {
            String text = text("#packet-detail");
            return text.contains("6. Wake-up") ? text : null;
        });
        assertThat(detail).contains("1. NIC receive", "2. IP validation", "3. 4-tuple", "4. Hash table lookup",
                "jhash(192.168.1.100:54321-10.0.0.50:8080) = 0xf2fc132d", "bucket = hash & 65535 = 4909",
                "21 bytes appended to the receive buffer", "TCB after: ESTABLISHED", "RCV.NXT 1022", "Recv-Q 21");
        screenshot("ladder");
    }

    @Test
    void theFdTableShowsFd4AndThenFreesIt() throws Exception {
        establishedOnFd4();
        openDashboard();
        tab("process");
        waitFor(d -> !text("#fd-table tr[data-fd='4']").isEmpty());
        assertThat(text("#fd-table tr[data-fd='4']")).contains("10.0.0.50:8080->192.168.1.100:54321 (ESTABLISHED)");
        // Followed all the way down: open file, socket, TCB and the hash entry the API reports.
        waitFor(d -> text("#fd-chain").contains("bucket 4909"));
        assertThat(text("#fd-chain")).contains("FD table slot 4", "socket:[40001]", "inode 40001", "ESTABLISHED",
                "0xf2fc132d", "entry 1 of 1");
        screenshot("fd4");

        tab("send");
        select("#call-select", "close");
        type("#syscall-form input[name=fd]", "4");
        el("#do-syscall").click();
        waitFor(d -> lastResult().contains("close(4) = 0"));
        tab("process");
        waitFor(d -> all("#fd-table tr[data-fd='4']").isEmpty() && !all("#fd-table tr[data-fd='3']").isEmpty());
        assertThat(api("GET", k + "/processes/12345/fds", null)).doesNotContain("\"fd\" : 4");
    }

    @Test
    void theStateDiagramLightsCloseWaitThenLastAck() throws Exception {
        establishedOnFd4();
        openDashboard();
        tab("states");
        waitFor(d -> lit("ESTABLISHED"));
        packet("F.", 1001, 208720246L, null);
        waitFor(d -> lit("CLOSE_WAIT") && !lit("ESTABLISHED"));
        assertThat(el("#state-diagram [data-state=CLOSE_WAIT]").getAttribute("class")).contains("current");
        assertThat(el("#state-diagram [data-edge='ESTABLISHED>CLOSE_WAIT']").getAttribute("class")).contains("recent");
        screenshot("close-wait");

        syscall("close", "{\"fd\":4}");
        waitFor(d -> lit("LAST_ACK") && !lit("CLOSE_WAIT"));
        assertThat(el("#state-diagram [data-edge='CLOSE_WAIT>LAST_ACK']").getAttribute("class")).contains("recent");
        assertThat(el("#transitions").getText()).contains("ESTABLISHED → CLOSE_WAIT", "CLOSE_WAIT → LAST_ACK");
        assertThat(lit("LISTEN")).isTrue();
        screenshot("last-ack");
    }

    @Test
    void theBucketViewPlacesEachConnectionInTheBucketTheApiReports() throws Exception {
        establishedOnFd4();
        for (int port = 54322; port <= 54323; port++) {
            api("POST", k + "/packets", "{\"src\":\"192.168.1.100:" + port + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":5000}");
        }
        openDashboard();
        tab("hash");
        String connections = api("GET", k + "/connections", null);
        Matcher m = Pattern.compile("\"tuple\" : \"([^\"]+)\"[\\s\\S]*?\"bucket\" : (\\d+)").matcher(connections);
        int checked = 0;
        while (m.find()) {
            String tuple = m.group(1);
            String bucket = m.group(2);
            click("#bucket-list [data-bucket='" + bucket + "']");
            waitFor(d -> bucket.equals(el("#bucket-chain").getAttribute("data-bucket")));
            assertThat(text("#bucket-chain")).contains("bucket " + bucket, tuple);
            checked++;
        }
        assertThat(checked).isEqualTo(3);
        assertThat(el("#demux-summary").getText()).contains("3 entries in 3 of 65536 buckets");
        click("#bucket-list [data-bucket='4909']");
        waitFor(d -> "4909".equals(el("#bucket-chain").getAttribute("data-bucket")));
        screenshot("bucket");
    }

    private boolean lit(String state) {
        // Before the States tab first draws, the diagram has no nodes yet.
        List<String> classes = attributes("#state-diagram [data-state=" + state + "]", "class");
        return !classes.isEmpty() && classes.get(0).contains("lit");
    }

    private void call(String name) {
        select("#call-select", name);
        String before = el("#syscall-form").getAttribute("data-done");
        el("#do-syscall").click();
        waitFor(d -> {
            String done = el("#syscall-form").getAttribute("data-done");
            return done != null && !done.isEmpty() && !done.equals(before);
        });
    }

    private void kind(String kind) {
        el("#packet-form [data-kind=" + kind + "]").click();
        waitFor(d -> kind.equals(el("#packet-form").getAttribute("data-prefilled")));
    }

    private void send() {
        String before = el("#packet-form").getAttribute("data-sent");
        el("#send-packet").click();
        waitFor(d -> {
            String sent = el("#packet-form").getAttribute("data-sent");
            return sent != null && !sent.isEmpty() && !sent.equals(before);
        });
        assertThat(lastResult()).doesNotContain("dropped").doesNotStartWith("✕");
    }

    private String lastResult() {
        return text("#console li");
    }

    private List<String> apiFlags() {
        Matcher m = Pattern.compile("\"flags\" : \"([^\"]+)\"").matcher(api("GET", k + "/packets", null));
        List<String> flags = new java.util.ArrayList<>();
        while (m.find()) {
            flags.add(m.group(1));
        }
        return flags;
    }
}
