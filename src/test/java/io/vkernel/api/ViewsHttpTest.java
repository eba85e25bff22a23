package io.vkernel.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The familiar renderings and the joined views a learner reads: ss -tanp, lsof -nP -p, /proc/net/tcp, one FD
 * followed to its hash entry, memory side by side, the demux distribution and the hash demonstration.
 * The text layouts were checked against iproute2's ss, lsof 4.95 and Linux 6.18's /proc/net/tcp.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ViewsHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    private Http http;
    private String base;
    private final int pid = 12345;

    @BeforeEach
    void serverListening() {
        http = new Http(mvc);
        String id = "views-" + KERNELS.incrementAndGet();
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":7}").status()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
        assertThat(http.post(base + "/processes", "{\"name\":\"server\"}").<Integer>at("$.pid")).isEqualTo(pid);
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
    }

    /** Each test's kernel goes away after it: the test classes share one service and its 64-kernel limit. */
    @AfterEach
    void deleteKernel() {
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(base));
    }

    /**
     * Client A accepted on fd 4 with 11 unread bytes, client B waiting in the accept queue, client C half-open. With
     * seed 7 the jhash buckets order them B, A, C in the established table, which is the order ss and /proc list them.
     */
    private void threeClients() {
        connect("192.168.1.100", 54321);
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello world");
        connect("192.168.1.200", 48000);
        inject("192.168.1.150", 55555, "S", 7000, 0, null);
    }

    @Test
    void aKernelsLinks_comeInOneFixedOrder_soItsJsonIsTheSameBytesAfterARestart() {
        String body = http.get(base).body();
        String links = body.substring(body.indexOf("\"links\""));
        java.util.List<Integer> at = java.util.stream.Stream.of("packets", "processes", "connections", "demux", "listeners",
                "clock", "events").map(part -> links.indexOf("\"" + part + "\"")).toList();
        assertThat(at).doesNotContain(-1).isSorted();
    }

    @Test
    void ssText_listenerShowsAcceptQueueAndBacklog_connectionsShowUnreadBytes_andOnlyFdHoldersHaveAProcess() {
        threeClients();
        String ss = http.get(base + "/connections?format=text").body();
        assertThat(ss.lines().toList()).containsExactly(
                "State    Recv-Q Send-Q Local Address:Port  Peer Address:Port Process                           ",
                "LISTEN   1      128          0.0.0.0:8080       0.0.0.0:*     users:((\"server\",pid=12345,fd=3))",
                "ESTAB    0      0          10.0.0.50:8080 192.168.1.200:48000                                  ",
                "ESTAB    11     0          10.0.0.50:8080 192.168.1.100:54321 users:((\"server\",pid=12345,fd=4))",
                "SYN-RECV 0      0          10.0.0.50:8080 192.168.1.150:55555                                  ");
    }

    @Test
    void ssInfoText_eachConnectionIsFollowedByItsTcpInfoLine_withTheAlgorithmSetsockoptChose() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_CONGESTION\",\"name\":\"reno\"}").<String>at("$.strace"))
                .isEqualTo("setsockopt(4, SOL_TCP, TCP_CONGESTION, \"reno\", 4) = 0");
        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"TCP_CONGESTION\",\"name\":\"bbr\"}").<String>at("$.errno"))
                .isEqualTo("ENOENT");
        List<String> lines = http.get(base + "/connections?format=text&info=true").body().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(2)).startsWith("ESTAB");
        // no options were negotiated and no loss happened yet: ssthresh (infinite) is not printed, as ss omits it
        assertThat(lines.get(3)).isEqualTo("\treno rto:200 ato:40 mss:536 pmtu:1500 advmss:1460 cwnd:10 rcv_space:64240");
        assertThat(http.get(base + "/connections?format=text").body().lines()).hasSize(3);
    }

    @Test
    void ssText_finWait1CountsItsUnacknowledgedFinInSendQ() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("close", "{\"fd\":4}");
        String ss = http.get(base + "/connections?format=text").body();
        assertThat(ss).contains("FIN-WAIT-1 0      1          10.0.0.50:8080 192.168.1.100:54321");
        assertThat(http.get(base + "/connections").<Integer>at("$[0].sendQ")).isEqualTo(1);
    }

    @Test
    void lsofText_matchesLsofColumns_andASocketNotInTheTablesIsASockWithProtocolTcp() {
        threeClients();
        syscall("socket", "{}");
        String lsof = http.get(base + "/processes/" + pid + "/fds?format=text").body();
        assertThat(lsof.lines().toList()).containsExactly(
                "COMMAND   PID USER   FD   TYPE DEVICE SIZE/OFF  NODE NAME",
                "server  12345 root    0u   CHR  136,0      0t0     3 /dev/pts/0",
                "server  12345 root    1u   CHR  136,0      0t0     3 /dev/pts/0",
                "server  12345 root    2u   CHR  136,0      0t0     3 /dev/pts/0",
                "server  12345 root    3u  IPv4  40000      0t0   TCP *:8080 (LISTEN)",
                "server  12345 root    4u  IPv4  40001      0t0   TCP 10.0.0.50:8080->192.168.1.100:54321 (ESTABLISHED)",
                "server  12345 root    5u  sock    0,9      0t0 40002 protocol: TCP");
    }

    @Test
    void procNetTcp_printsListenerRequestAndConnection_inLinuxFormat_paddedTo149() {
        threeClients();
        List<String> lines = http.get(base + "/proc/net/tcp").body().lines().toList();
        assertThat(lines).allMatch(line -> line.length() == 149);
        assertThat(lines.stream().map(String::stripTrailing).toList()).containsExactly(
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
                "   0: 00000000:1F90 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 40000 1 0000000000000000 100 0 0 10 0",
                "   1: 3200000A:1F90 C801A8C0:BB80 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 -1",
                "   2: 3200000A:1F90 6401A8C0:D431 01 00000000:0000000B 00:00000000 00000000     0        0 40001 1 0000000000000000 100 0 0 10 -1",
                "   3: 3200000A:1F90 9601A8C0:D903 03 00000000:00000000 01:00000064 00000000     0        0 0 0 0000000000000000");
    }

    @Test
    void procNetTcp_countsSynAckRetransmissions_andShowsTimeWaitAsAMiniSocketWithItsTimer() {
        inject("192.168.1.150", 55555, "S", 7000, 0, null);
        http.post(base + "/clock/advance", "{\"ms\":1000}");
        assertThat(http.get(base + "/proc/net/tcp").body())
                .as("one retransmission, next SYN-ACK in 2 s = 200 ticks = 0xC8")
                .contains("3200000A:1F90 9601A8C0:D903 03 00000000:00000000 01:000000C8 00000001     0        0 0 0 0000000000000000");

        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("close", "{\"fd\":4}");
        long ack = ack("192.168.1.100", 54321);
        inject("192.168.1.100", 54321, ".", 1001, ack + 1, null);
        inject("192.168.1.100", 54321, "F.", 1001, ack + 1, null);
        assertThat(http.get(base + "/proc/net/tcp").body())
                .as("TIME_WAIT: st 06, timer 3 with 60 s = 6000 ticks = 0x1770, no inode, refcount 3")
                .contains("3200000A:1F90 6401A8C0:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000");
    }

    @Test
    void oneFd_walksFromTheProcessToItsHashChainEntry() {
        threeClients();
        Http.Reply chain = http.get(base + "/processes/" + pid + "/fds/4");
        assertThat(chain.status()).isEqualTo(200);
        assertThat(chain.<Integer>at("$.file.refCount")).isEqualTo(1);
        assertThat(chain.<String>at("$.file.flags")).isEqualTo("O_RDWR");
        assertThat(chain.<Integer>at("$.socket.inode")).isEqualTo(40001);
        assertThat(chain.<String>at("$.tcb.state")).isEqualTo("ESTABLISHED");
        assertThat(chain.<Integer>at("$.tcb.recvQ")).isEqualTo(11);
        assertThat(chain.<String>at("$.hashEntry.function")).isEqualTo("jhash");
        int bucket = chain.at("$.hashEntry.bucket");
        assertThat(chain.<Integer>at("$.hashEntry.positionInChain")).as("counted from 1, the chain's head").isEqualTo(1);
        Http.Reply chainOfBucket = http.get(base + "/demux/buckets/" + bucket);
        assertThat(chainOfBucket.<List<String>>at("$.chain[*].tuple")).contains("192.168.1.100:54321-10.0.0.50:8080");
        List<String> walk = chain.at("$.walk");
        assertThat(walk).hasSize(5);
        assertThat(walk.get(0)).isEqualTo("pid 12345 (server) fd 4: slot 4 of its FD table");
        assertThat(walk.get(1)).isEqualTo("open file socket:[40001]: 1 reference, flags O_RDWR");
        assertThat(walk.get(3)).startsWith("TCB 192.168.1.100:54321-10.0.0.50:8080 in ESTABLISHED").endsWith("Recv-Q 11, Send-Q 0");
        assertThat(walk.get(4)).startsWith("established table: jhash = 0x").contains("bucket " + bucket + " of 65536, entry 1 of 1");
    }

    @Test
    void fastOpenKey_isSetAsTheSysctlSpellsIt_readBackAsBytes_andAMalformedKeyIsA400NamingTheField() {
        Http.Reply set = syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_FASTOPEN_KEY\",\"name\":\"a0bf63f7-ed803d81-cd641d30-cebc4a90\"}");
        assertThat(set.<Integer>at("$.ret")).isZero();
        assertThat(set.<String>at("$.strace")).startsWith("setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\\367c\\277\\240").endsWith(", 16) = 0");
        assertThat(syscall("getsockopt", "{\"fd\":3,\"option\":\"TCP_FASTOPEN_KEY\"}").<String>at("$.strace"))
                .endsWith("[16]) = 0");
        Http.Reply bad = syscall("setsockopt", "{\"fd\":3,\"option\":\"TCP_FASTOPEN_KEY\",\"name\":\"a0bf63f7-zz\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.contentType()).isEqualTo("application/problem+json");
        assertThat(bad.<String>at("$.field")).isEqualTo("name");
        assertThat(bad.<String>at("$.detail")).contains("four (or eight) 32-bit hex words");
    }

    @Test
    void oneFd_ofAListener_showsItsListeningEntryAndQueues_andAnFdThatIsNotOpenIsA404() {
        threeClients();
        Http.Reply listener = http.get(base + "/processes/" + pid + "/fds/3");
        assertThat(listener.<String>at("$.listener.key")).isEqualTo("0.0.0.0:8080");
        assertThat(listener.<Integer>at("$.listener.acceptQueueCapacity")).isEqualTo(129);
        assertThat(listener.<List<String>>at("$.listener.acceptQueue")).containsExactly("192.168.1.200:48000 (ESTABLISHED)");
        assertThat(listener.<Integer>at("$.listener.synRecv")).isEqualTo(1);

        Http.Reply missing = http.get(base + "/processes/" + pid + "/fds/9");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).isEqualTo("application/problem+json");
        assertThat(missing.<String>at("$.field")).isEqualTo("fd");
        assertThat(missing.<String>at("$.detail")).isEqualTo("fd 9 is not open in pid 12345; its open FDs are [0, 1, 2, 3, 4]");
    }

    @Test
    void memory_putsTheSeeds131KbNextToLinuxsCharges_andFallsToZeroWhenTheConnectionIsGone() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Http.Reply memory = http.get(base + "/memory");
        assertThat(memory.<Integer>at("$.seedModel.perConnection")).isEqualTo(134_144);
        assertThat(memory.<Integer>at("$.connections[0].seedBytes")).isEqualTo(134_144);
        assertThat(memory.<Integer>at("$.connections[0].linux.bytes")).isEqualTo(3584);
        assertThat(memory.<Integer>at("$.connections[0].linux.rcvbufLimit")).isEqualTo(131_072);
        assertThat(memory.<Integer>at("$.connections[0].linux.sndbufLimit")).isEqualTo(16_384);
        assertThat(memory.<Integer>at("$.totals.linuxBytes")).isEqualTo(2 * 3584);
        assertThat(memory.<String>at("$.explanation")).contains("131 KB for every connection")
                .contains("limits on what a socket may have charged");

        inject("192.168.1.100", 54321, "R", 1001, 0, null);
        syscall("close", "{\"fd\":4}");
        Http.Reply after = http.get(base + "/memory");
        assertThat(after.<List<?>>at("$.connections")).isEmpty();
        assertThat(after.<Integer>at("$.totals.connections")).isZero();
        assertThat(after.<Integer>at("$.totals.vkernelBytes")).isZero();
        assertThat(after.<Integer>at("$.totals.linuxBytes")).as("the listener alone").isEqualTo(3584);
    }

    @Test
    void memoryText_showsBothColumnsAndTheCorrection() {
        connect("192.168.1.100", 54321);
        String text = http.get(base + "/memory?format=text").body();
        assertThat(text).startsWith("Connection or socket").contains("Seed model").contains("Linux")
                .contains("192.168.1.100:54321-10.0.0.50:8080           ESTABLISHED        134144         2368            0  TCP 2368\n")
                .contains("Linux allocates no buffer up front");
    }

    @Test
    void demux_onASeedXorKernel_showsOneClientsConnectionsPiledInOneBucket() {
        String id = base.substring(base.lastIndexOf('/') + 1) + "-xor";
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"hash\":\"xor\"}").status()).isEqualTo(201);
        String xorBase = "/api/v1/kernels/" + id;
        http.post(xorBase + "/processes", "{\"name\":\"server\"}");
        String saved = base;
        base = xorBase;
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
        for (int port = 54321; port <= 54323; port++) {
            connect("192.168.1.100", port);
        }
        Http.Reply demux = http.get(xorBase + "/demux");
        assertThat(demux.<String>at("$.hash")).isEqualTo("xor");
        assertThat(demux.<Integer>at("$.usedBuckets")).isEqualTo(1);
        assertThat(demux.<Integer>at("$.longestChain")).isEqualTo(3);
        assertThat(demux.<Map<String, Integer>>at("$.chainLengths")).containsExactly(Map.entry("0", 65_535), Map.entry("3", 1));
        assertThat(demux.<Double>at("$.examinedPerLookup")).isEqualTo(2.0);
        assertThat(demux.<String>at("$.distribution")).startsWith("3 entries in 1 of 65536 buckets");
        base = saved;

        Http.Reply jhash = http.get(base + "/demux");
        assertThat(jhash.<Map<String, Integer>>at("$.chainLengths")).containsEntry("0", 65_536);
        assertThat(jhash.<String>at("$.distribution")).isEqualTo("empty: all 65536 buckets have an empty chain");
    }

    @Test
    void demo_showsXorCollapsingANatsConnections_jhashSpreadingThem_andTheSeedsPerformanceTable() {
        Http.Reply demo = http.post(base + "/demux/demo", "{\"pattern\":\"nat\",\"connections\":2000}");
        assertThat(demo.status()).isEqualTo(200);
        assertThat(demo.<String>at("$.pattern")).isEqualTo("nat");
        assertThat(demo.<Integer>at("$.buckets")).isEqualTo(65_536);
        assertThat(demo.<Integer>at("$.tables[0].usedBuckets")).isEqualTo(1);
        assertThat(demo.<Integer>at("$.tables[0].longestChain")).isEqualTo(2000);
        assertThat(demo.<Integer>at("$.tables[1].usedBuckets")).isGreaterThan(1900);
        assertThat(demo.<List<Integer>>at("$.performance[*].connections")).containsExactly(100, 1000, 10_000, 100_000);
        assertThat(demo.<Double>at("$.performance[3].linearScan.examinedPerLookup")).isEqualTo(50_000.5);
        assertThat(demo.<Double>at("$.performance[3].jhashHashTable.examinedPerLookup")).isLessThan(2.0);
        assertThat(demo.<List<String>>at("$.findings")).anyMatch(f -> f.startsWith("The seed's XOR hash put 2,000 connections into 1 of 65,536 buckets"));
        assertThat(http.get(base + "/demux").<Integer>at("$.entries")).as("the user's kernel is untouched").isZero();

        String text = http.send(Http.MockMvcRequestJson.post(base + "/demux/demo?format=text", "{\"pattern\":\"flood\",\"connections\":100}")).body();
        assertThat(text).contains("Linear search").contains("Hash table (xor)").contains("Hash table (jhash)").contains("100,000");
    }

    @Test
    void demo_refusesBadSettings_namingTheField() {
        assertField(http.post(base + "/demux/demo", "{\"pattern\":\"ddos\"}"), "pattern");
        assertField(http.post(base + "/demux/demo", "{\"connections\":100001}"), "connections");
        assertField(http.post(base + "/demux/demo", "{\"buckets\":1000}"), "buckets");
    }

    private static void assertField(Http.Reply reply, String field) {
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.<String>at("$.field")).isEqualTo(field);
    }

    private Http.Reply syscall(String call, String body) {
        return http.post(base + "/processes/" + pid + "/" + call, body);
    }

    private void connect(String ip, int port) {
        inject(ip, port, "S", 1000, 0, null);
        inject(ip, port, ".", 1001, ack(ip, port), null);
    }

    private long ack(String ip, int port) {
        List<Map<String, Object>> wire = http.get(base + "/packets?limit=10000").at("$");
        for (int i = wire.size() - 1; i >= 0; i--) {
            Map<String, Object> p = wire.get(i);
            if (p.get("dst").equals(ip + ":" + port) && "S.".equals(p.get("flags"))) {
                return ((Number) p.get("seq")).longValue() + 1;
            }
        }
        throw new AssertionError("no SYN-ACK to " + ip + ":" + port);
    }

    private void inject(String ip, int port, String flags, long seq, long ack, String payload) {
        Http.Reply reply = http.post(base + "/packets", "{\"src\":\"" + ip + ":" + port + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\""
                + flags + "\",\"seq\":" + seq + ",\"ack\":" + ack + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}");
        assertThat(reply.status()).isEqualTo(200);
    }
}
