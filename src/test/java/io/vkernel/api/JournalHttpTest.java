package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The journal over HTTP: export, import, fork, refused journals, and that no mutating endpoint escapes it. */
class JournalHttpTest extends HttpKernelTest {

    /** Every operation that may change a registered kernel, each of which reaches the kernel through a recorded input. */
    static final Set<String> JOURNALED = Set.of(
            "POST /api/v1/kernels", "DELETE /api/v1/kernels/{k}", "POST /api/v1/kernels/{k}/packets",
            "POST /api/v1/kernels/{k}/processes", "DELETE /api/v1/kernels/{k}/processes/{pid}",
            "POST /api/v1/kernels/{k}/processes/{pid}/{call}", "PUT /api/v1/kernels/{k}/sysctl/{name}",
            "PUT /api/v1/kernels/{k}/clock", "POST /api/v1/kernels/{k}/clock/advance",
            "POST /api/v1/kernels/import", "POST /api/v1/kernels/{k}/fork",
            // a network is journaled as its header and its link's record (NetworkJournal); what it does to a member (a
            // delivered segment, its clock moved) reaches the member through Kernel.receive and Kernel.advance, which
            // are recorded, so each member's own journal replays
            "POST /api/v1/networks", "DELETE /api/v1/networks/{id}", "POST /api/v1/networks/{id}/clock/advance",
            "PUT /api/v1/networks/{id}/clock");
    /** Operations that change no registered kernel: private scratch kernels (scenarios, scripts, the hash demo). */
    static final Set<String> NOT_JOURNALED = Set.of(
            "POST /api/v1/scenarios/{id}/runs", "POST /api/v1/scripts/runs", "POST /api/v1/kernels/{k}/demux/demo");

    @Autowired
    @org.springframework.beans.factory.annotation.Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Test
    void everyOperationThatIsNotARead_isJournaledOrListedAsChangingNoKernel() {
        Set<String> unclassified = new TreeSet<>();
        mappings.getHandlerMethods().forEach((info, method) -> {
            Set<RequestMethod> methods = info.getMethodsCondition().getMethods();
            for (String pattern : info.getPatternValues()) {
                for (RequestMethod m : methods.isEmpty() ? Set.of(RequestMethod.POST) : methods) {
                    String operation = m + " " + pattern.replaceAll("/(socket|bind|listen|accept|read|write|close|fcntl|setsockopt"
                            + "|connect|shutdown|getsockopt|ioctl|dup2|dup|recvmsg|recv|send|poll|open|lseek|pipe|sendfile|splice)$", "/{call}");
                    if (m != RequestMethod.GET && m != RequestMethod.HEAD && pattern.startsWith("/api")
                            && !JOURNALED.contains(operation) && !NOT_JOURNALED.contains(operation)) {
                        unclassified.add(operation);
                    }
                }
            }
        });
        assertThat(unclassified).as("a new operation that changes a kernel must reach it through Kernel's recorded inputs "
                + "(see KernelInput), then be listed in JOURNALED; or be listed in NOT_JOURNALED").isEmpty();
    }

    @Test
    void theJournalExportsEveryStep_andImportsAsAKernelWithTheSameState() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"SO_RCVBUF\",\"value\":8192}");
        assertThat(http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(base + "/sysctl/net.core.somaxconn")
                .contentType("application/json").content("{\"value\":64}")).status()).isEqualTo(200);
        advance(1500);

        Http.Reply exported = http.get(base + "/journal");
        assertThat(exported.status()).isEqualTo(200);
        assertThat(exported.contentType()).startsWith("application/x-ndjson");
        List<String> lines = exported.body().lines().toList();
        assertThat(lines.get(0)).contains("\"journal\":\"vkernel\"").contains("\"version\":1").contains("\"seed\":7");
        // spawn, socket, bind, listen, SYN, ACK, accept, data, setsockopt, sysctl, advance
        assertThat(lines).hasSize(12);
        assertThat(lines.subList(1, 12)).extracting(l -> l.replaceAll(".*\"op\":\"([a-z0-9]+)\".*", "$1")).containsExactly(
                "spawn", "socket", "bind", "listen", "packet", "packet", "accept", "packet", "setsockopt", "sysctl", "advance");

        Http.Reply imported = http.post("/api/v1/kernels/import?id=" + kernelId() + "-copy", exported.body());
        assertThat(imported.status()).isEqualTo(201);
        String copy = "/api/v1/kernels/" + kernelId() + "-copy";
        for (String view : List.of("/connections?format=text", "/connections", "/listeners", "/processes/" + pid + "/fds",
                "/packets?limit=10000", "/events?limit=10000", "/sysctl", "/clock", "/nstat")) {
            assertThat(http.get(copy + view).body()).as(view).isEqualTo(http.get(base + view).body().replace(kernelId() + "/", kernelId() + "-copy/"));
        }
        // the memory view's budget part counts every kernel of the service; the kernel's own part must match
        for (String part : List.of("$.totals", "$.connections", "$.sockets")) {
            assertThat(http.get(copy + "/memory").<Object>at(part)).as(part).isEqualTo(http.get(base + "/memory").at(part));
        }
        assertThat(http.get(copy + "/check").<Boolean>at("$.ok")).isTrue();
        Http.Reply read = http.post(copy + "/processes/" + pid + "/read", "{\"fd\":4,\"count\":100}");
        assertThat(read.<String>at("$.data")).isEqualTo("hello");
        assertThat(http.get(copy + "/journal").body().lines().skip(1).toList())
                .as("the copy's journal holds the same steps, plus the read").hasSize(12)
                .startsWith(lines.subList(1, 12).toArray(String[]::new));
    }

    @Test
    void forkAtAStep_isANewKernelAsTheOriginalWasThen() {
        connect("192.168.1.100", 54321); // step 5 is the SYN, step 6 the handshake's ACK
        Http.Reply fork = http.post(base + "/fork?at=5&id=" + kernelId() + "-at5", "");
        assertThat(fork.status()).isEqualTo(201);
        assertThat(fork.location()).isEqualTo("/api/v1/kernels/" + kernelId() + "-at5");
        assertThat(http.get(fork.location() + "/connections").<List<String>>at("$[*].state")).containsExactly("SYN_RECV");
        assertThat(connectionStates()).containsExactly("ESTABLISHED");
        assertThat(http.get(fork.location() + "/journal").body().lines().count()).isEqualTo(6);

        assertThat(http.post(base + "/fork?at=0", "").status()).isEqualTo(201);
        Http.Reply tooFar = http.post(base + "/fork?at=99", "");
        assertThat(tooFar.status()).isEqualTo(400);
        assertThat(tooFar.<String>at("$.detail")).contains("between 0 and 6");
        assertThat(http.post(base + "/fork?at=1&id=" + kernelId(), "").status()).isEqualTo(409);
        Http.Reply withBody = http.post(base + "/fork", "{\"at\":1}");
        assertThat(withBody.status()).isEqualTo(400);
        assertThat(withBody.<String>at("$.detail")).contains("?at=N");
    }

    @Test
    void aTruncatedCorruptNewerOrUnreplayableJournal_isRefusedNamingTheLine_andCreatesNothing() {
        syscall("socket", "{}");
        List<String> lines = new ArrayList<>(http.get(base + "/journal").body().lines().toList());
        int kernelsBefore = http.get("/api/v1/kernels").<List<Object>>at("$").size();

        List<String> truncated = new ArrayList<>(lines);
        truncated.set(5, truncated.get(5).substring(0, 12));
        Http.Reply cut = http.post("/api/v1/kernels/import", String.join("\n", truncated));
        assertThat(cut.status()).isEqualTo(400);
        assertThat(cut.<String>at("$.detail")).contains("line 6");

        List<String> gap = new ArrayList<>(lines);
        gap.remove(3);
        assertThat(http.post("/api/v1/kernels/import", String.join("\n", gap)).<String>at("$.detail"))
                .contains("line 4").contains("expected step 3, got step 4");

        List<String> newer = new ArrayList<>(lines);
        newer.set(0, newer.get(0).replace("\"version\":1", "\"version\":99"));
        Http.Reply future = http.post("/api/v1/kernels/import", String.join("\n", newer));
        assertThat(future.status()).isEqualTo(400);
        assertThat(future.<String>at("$.detail")).contains("line 1").contains("version 99 is newer");

        List<String> edited = new ArrayList<>(lines);
        edited.set(5, edited.get(5).replace("\"pid\":" + pid, "\"pid\":4242"));
        Http.Reply unreplayable = http.post("/api/v1/kernels/import", String.join("\n", edited));
        assertThat(unreplayable.status()).isEqualTo(422);
        assertThat(unreplayable.<String>at("$.detail")).contains("line 6").contains("step 5 (socket)");

        assertThat(http.post("/api/v1/kernels/import", "").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/kernels").<List<Object>>at("$")).hasSize(kernelsBefore);
    }

    private String kernelId() {
        return base.substring(base.lastIndexOf('/') + 1);
    }
}
