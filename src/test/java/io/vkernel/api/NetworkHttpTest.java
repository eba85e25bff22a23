package io.vkernel.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;

/**
 * Networks of kernels over HTTP: the issue's alice-and-bob check, three kernels demuxed apart, time, bad input. Its
 * own Spring context (the property is the default's value), so kernels other classes leave in the shared one do not
 * use up the kernel limit; each test deletes the networks and kernels it made.
 */
@SpringBootTest(properties = "vkernel.limits.max-kernels=64")
@AutoConfigureMockMvc
class NetworkHttpTest {

    private static final AtomicInteger RUNS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    Http http;
    String n;
    private final List<String> made = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() {
        http = new Http(mvc);
        n = "n" + RUNS.incrementAndGet();
    }

    String kernel(String name, String address) {
        String id = name + "-" + n;
        Http.Reply created = http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"address\":\"" + address + "\",\"seed\":3}");
        assertThat(created.status()).isEqualTo(201);
        made.add(id);
        return id;
    }

    @org.junit.jupiter.api.AfterEach
    void deleteWhatTheTestMade() {
        List<String> networks = http.get("/api/v1/networks").at("$[*].id");
        networks.stream().filter(id -> id.endsWith("-" + n)).forEach(id -> http.send(delete("/api/v1/networks/" + id)));
        made.forEach(id -> http.send(delete("/api/v1/kernels/" + id)));
    }

    int process(String kernel) {
        return http.post("/api/v1/kernels/" + kernel + "/processes", "{\"name\":\"p\"}").at("$.pid");
    }

    Http.Reply call(String kernel, int pid, String call, String body) {
        return http.post("/api/v1/kernels/" + kernel + "/processes/" + pid + "/" + call, body);
    }

    /** A process on {@code kernel} listening on 0.0.0.0:80 with FD 3. */
    int listening(String kernel) {
        int pid = process(kernel);
        assertThat(call(kernel, pid, "socket", "{}").<Integer>at("$.ret")).isEqualTo(3);
        assertThat(call(kernel, pid, "bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}").<Integer>at("$.ret")).isZero();
        assertThat(call(kernel, pid, "listen", "{\"fd\":3,\"backlog\":16}").<Integer>at("$.ret")).isZero();
        return pid;
    }

    Http.Reply network(String id, String kernels, String link) {
        return http.post("/api/v1/networks", "{\"id\":\"" + id + "\",\"kernels\":" + kernels + (link == null ? "" : ",\"link\":" + link) + "}");
    }

    @Test
    void issueCheck_aliceConnectsToBobOverThePerfectLink_andBobReadsFiveBytes() {
        String alice = kernel("alice", "10.0.0.1");
        String bob = kernel("bob", "10.0.0.2");
        Http.Reply created = network("lab-" + n, "[\"" + alice + "\",\"" + bob + "\"]", null);
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.location()).isEqualTo("/api/v1/networks/lab-" + n);
        assertThat(created.<List<String>>at("$.members[*].address")).containsExactly("10.0.0.1", "10.0.0.2");

        int bobPid = listening(bob);
        int alicePid = process(alice);
        assertThat(call(alice, alicePid, "socket", "{}").<Integer>at("$.ret")).isEqualTo(3);
        Http.Reply connect = call(alice, alicePid, "connect", "{\"fd\":3,\"addr\":\"10.0.0.2:80\"}");
        assertThat(connect.status()).isEqualTo(200);
        assertThat(connect.<Integer>at("$.ret")).isZero();
        assertThat(call(bob, bobPid, "accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        assertThat(call(alice, alicePid, "write", "{\"fd\":3,\"data\":\"hello\"}").<Integer>at("$.ret")).isEqualTo(5);
        Http.Reply read = call(bob, bobPid, "read", "{\"fd\":4}");
        assertThat(read.<String>at("$.data")).isEqualTo("hello");

        Http.Reply lab = http.get("/api/v1/networks/lab-" + n);
        assertThat(lab.<Integer>at("$.counters.sent")).isGreaterThanOrEqualTo(5); // SYN, SYN-ACK, ACK, data, ACK
        assertThat(lab.<Integer>at("$.counters.delivered")).isEqualTo(lab.<Integer>at("$.counters.sent"));
        assertThat(lab.<Integer>at("$.counters.inFlight")).isZero();
        assertThat(lab.<Integer>at("$.nowMs")).isZero();
        assertThat(http.get("/api/v1/kernels/" + bob + "/connections").<List<String>>at("$[*].remote")).contains("10.0.0.1:" + 
                http.get("/api/v1/kernels/" + alice + "/connections").<List<String>>at("$[*].local").get(0).split(":")[1]);

        Http.Reply pcap = http.get("/api/v1/networks/lab-" + n + "/capture.pcap");
        assertThat(pcap.status()).isEqualTo(200);
        assertThat(pcap.contentType()).isEqualTo("application/vnd.tcpdump.pcap");

        assertThat(http.send(delete("/api/v1/networks/lab-" + n)).status()).isEqualTo(204);
        assertThat(http.get("/api/v1/networks/lab-" + n).status()).isEqualTo(404);
        // standalone again: alice's next segment to bob stays in her wire log
        assertThat(call(alice, alicePid, "write", "{\"fd\":3,\"data\":\"lost\"}").<Integer>at("$.ret")).isEqualTo(4);
        assertThat(http.post("/api/v1/kernels/" + bob + "/processes/" + bobPid + "/read?wait=0", "{\"fd\":4}").status())
                .as("bob's read still sleeps: nothing crossed").isEqualTo(202);
    }

    @Test
    void threeKernels_twoClientsOneServer_areDemuxedApart() {
        String server = kernel("server", "10.0.0.3");
        String c1 = kernel("client", "10.0.0.1");
        String c2 = kernel("client2", "10.0.0.4");
        assertThat(network("three-" + n, "[\"" + server + "\",\"" + c1 + "\",\"" + c2 + "\"]",
                "{\"delayMs\":0}").status()).isEqualTo(201);
        int serverPid = listening(server);
        int p1 = process(c1);
        int p2 = process(c2);
        for (var client : List.of(List.of(c1, p1), List.of(c2, p2))) {
            String k = (String) client.get(0);
            int pid = (Integer) client.get(1);
            assertThat(call(k, pid, "socket", "{}").<Integer>at("$.ret")).isEqualTo(3);
            assertThat(call(k, pid, "connect", "{\"fd\":3,\"addr\":\"10.0.0.3:80\"}").<Integer>at("$.ret")).isZero();
        }
        Http.Reply first = call(server, serverPid, "accept", "{\"fd\":3}");
        Http.Reply second = call(server, serverPid, "accept", "{\"fd\":3}");
        assertThat(first.<String>at("$.peer")).startsWith("10.0.0.1:");
        assertThat(second.<String>at("$.peer")).startsWith("10.0.0.4:");
        call(c2, p2, "write", "{\"fd\":3,\"data\":\"from client two\"}");
        call(c1, p1, "write", "{\"fd\":3,\"data\":\"from client one\"}");
        assertThat(call(server, serverPid, "read", "{\"fd\":4}").<String>at("$.data")).isEqualTo("from client one");
        assertThat(call(server, serverPid, "read", "{\"fd\":5}").<String>at("$.data")).isEqualTo("from client two");
        assertThat(http.get("/api/v1/kernels/" + server + "/connections").<List<String>>at("$[*].state"))
                .containsExactly("ESTABLISHED", "ESTABLISHED");
        for (String k : List.of(server, c1, c2)) {
            assertThat(http.get("/api/v1/kernels/" + k + "/check").<Boolean>at("$.ok")).isTrue();
        }
    }

    @Test
    void delayedLink_waitsForTheNetworkClock_andAMembersAdvanceMovesEveryMember() {
        String alice = kernel("alice", "10.0.0.1");
        String bob = kernel("bob", "10.0.0.2");
        String id = "slow-" + n;
        assertThat(network(id, "[\"" + alice + "\",\"" + bob + "\"]", "{\"delayMs\":50,\"seed\":9}").status()).isEqualTo(201);
        listening(bob);
        int alicePid = process(alice);
        call(alice, alicePid, "socket", "{}");
        Http.Reply connect = http.post("/api/v1/kernels/" + alice + "/processes/" + alicePid + "/connect?wait=0",
                "{\"fd\":3,\"addr\":\"10.0.0.2:80\"}");
        assertThat(connect.status()).isEqualTo(202);
        assertThat(http.get("/api/v1/networks/" + id).<Integer>at("$.counters.inFlight")).isEqualTo(1);

        Http.Reply advanced = http.post("/api/v1/networks/" + id + "/clock/advance", "{\"ms\":60}");
        assertThat(advanced.<Integer>at("$.nowMs")).isEqualTo(60);
        assertThat(advanced.<Integer>at("$.packetsDelivered")).isEqualTo(1); // the SYN; the SYN-ACK is due at 100
        assertThat(http.get("/api/v1/kernels/" + alice + "/connections").<List<String>>at("$[*].state")).containsExactly("SYN_SENT");

        // advancing a member advances the network: both clocks move, the SYN-ACK arrives at 100
        assertThat(http.post("/api/v1/kernels/" + bob + "/clock/advance", "{\"ms\":40}").<Integer>at("$.nowMs")).isEqualTo(100);
        assertThat(http.get("/api/v1/kernels/" + alice + "/clock").<Integer>at("$.nowMs")).isEqualTo(100);
        assertThat(http.get("/api/v1/kernels/" + alice + "/connections").<List<String>>at("$[*].state")).containsExactly("ESTABLISHED");
        assertThat(http.get(connect.location()).<Integer>at("$.ret")).isZero();
        assertThat(http.get("/api/v1/networks/" + id + "/clock").<String>at("$.mode")).isEqualTo("manual");
    }

    @Test
    void deletingAMember_takesItOutOfItsNetwork() {
        String alice = kernel("alice", "10.0.0.1");
        String bob = kernel("bob", "10.0.0.2");
        String carol = kernel("carol", "10.0.0.3");
        String id = "gone-" + n;
        assertThat(network(id, "[\"" + alice + "\",\"" + bob + "\",\"" + carol + "\"]", null).status()).isEqualTo(201);
        assertThat(http.send(delete("/api/v1/kernels/" + bob)).status()).isEqualTo(204);
        assertThat(http.get("/api/v1/networks/" + id).<List<String>>at("$.members[*].id")).containsExactly(alice, carol);
        assertThat(http.get("/api/v1/networks").<List<String>>at("$[*].id")).contains(id);
    }

    @Test
    void deletingTheLastMember_deletesTheNetwork_andReleasesItsCharge() {
        long before = serviceCharge();
        String alice = kernel("alice", "10.0.0.1");
        String bob = kernel("bob", "10.0.0.2");
        String id = "last-" + n;
        assertThat(network(id, "[\"" + alice + "\",\"" + bob + "\"]", null).status()).isEqualTo(201);
        listening(bob);
        int alicePid = process(alice);
        call(alice, alicePid, "socket", "{}");
        assertThat(call(alice, alicePid, "connect", "{\"fd\":3,\"addr\":\"10.0.0.2:80\"}").<Integer>at("$.ret")).isZero();
        assertThat(http.get("/api/v1/networks/" + id).<Integer>at("$.memory.chargedBytes"))
                .as("the handshake's capture is charged to the service budget").isPositive();

        assertThat(http.send(delete("/api/v1/kernels/" + alice)).status()).isEqualTo(204);
        assertThat(http.get("/api/v1/networks/" + id).status()).as("bob is still in it").isEqualTo(200);
        assertThat(http.send(delete("/api/v1/kernels/" + bob)).status()).isEqualTo(204);
        made.clear();

        assertThat(http.get("/api/v1/networks/" + id).status()).isEqualTo(404);
        assertThat(http.get("/api/v1/networks").<List<String>>at("$[*].id")).doesNotContain(id);
        assertThat(serviceCharge()).as("the kernels' and the link's charges are all released").isEqualTo(before);
        // the id is free again
        String carol = kernel("carol", "10.0.0.3");
        String dave = kernel("dave", "10.0.0.4");
        assertThat(network(id, "[\"" + carol + "\",\"" + dave + "\"]", null).status()).isEqualTo(201);
    }

    private long serviceCharge() {
        return http.get("/actuator/health").<Number>at("$.components.memoryBudget.details.usedBytes").longValue();
    }

    @Test
    void badInput_isAProblemNamingWhatToFix() {
        String alice = kernel("alice", "10.0.0.1");
        String bob = kernel("bob", "10.0.0.2");
        String twin = kernel("twin", "10.0.0.2");

        Http.Reply unknown = network("x-" + n, "[\"" + alice + "\",\"nobody-" + n + "\"]", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.<String>at("$.detail")).contains("nobody-" + n);
        assertThat(unknown.<String>at("$.field")).isEqualTo("kernels");

        Http.Reply sameAddress = network("x-" + n, "[\"" + bob + "\",\"" + twin + "\"]", null);
        assertThat(sameAddress.status()).isEqualTo(409);
        assertThat(sameAddress.<String>at("$.detail")).contains("10.0.0.2");

        Http.Reply loss = network("x-" + n, "[\"" + alice + "\",\"" + bob + "\"]", "{\"lossPercent\":150}");
        assertThat(loss.status()).isEqualTo(400);
        assertThat(loss.<String>at("$.field")).isEqualTo("link.lossPercent");
        assertThat(loss.<String>at("$.detail")).contains("between 0 and 100");
        Http.Reply reorder = network("x-" + n, "[\"" + alice + "\",\"" + bob + "\"]", "{\"reorderPercent\":25}");
        assertThat(reorder.status()).isEqualTo(400);
        assertThat(reorder.<String>at("$.field")).isEqualTo("link.reorderPercent");
        assertThat(network("x-" + n, "[\"" + alice + "\",\"" + bob + "\"]", "{\"delayMs\":-1}").<String>at("$.field"))
                .isEqualTo("link.delayMs");
        assertThat(network("x-" + n, "[\"" + alice + "\"]", null).<String>at("$.field")).isEqualTo("kernels");
        assertThat(network("X Y", "[\"" + alice + "\",\"" + bob + "\"]", null).<String>at("$.field")).isEqualTo("id");
        assertThat(http.post("/api/v1/networks", "{\"kernels\":[\"" + alice + "\",\"" + bob + "\"]}").<String>at("$.field")).isEqualTo("id");

        assertThat(network("x-" + n, "[\"" + alice + "\",\"" + bob + "\"]", null).status()).isEqualTo(201);
        Http.Reply busy = network("y-" + n, "[\"" + alice + "\",\"" + twin + "\"]", null);
        assertThat(busy.status()).isEqualTo(409);
        assertThat(busy.<String>at("$.detail")).contains(alice).contains("x-" + n);
        assertThat(network("x-" + n, "[\"" + twin + "\",\"" + kernel("dan", "10.0.0.9") + "\"]", null).status()).isEqualTo(409);

        assertThat(http.get("/api/v1/networks/none-" + n).status()).isEqualTo(404);
        assertThat(http.post("/api/v1/networks/x-" + n + "/clock/advance", "{\"ms\":-1}").<String>at("$.field")).isEqualTo("ms");
        assertThat(http.send(delete("/api/v1/networks/none-" + n)).status()).isEqualTo(404);
    }
}
