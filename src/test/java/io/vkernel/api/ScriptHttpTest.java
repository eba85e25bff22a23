package io.vkernel.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/** POST /api/v1/scripts/runs as a user sees it: verdicts per line, problems for scripts that cannot run. */
@SpringBootTest
@AutoConfigureMockMvc
class ScriptHttpTest {

    private static final String RUNS = "/api/v1/scripts/runs";

    @Autowired
    MockMvc mvc;

    private Http http;

    @BeforeEach
    void client() {
        http = new Http(mvc);
    }

    private Http.Reply run(String script) {
        return run(RUNS, script);
    }

    private Http.Reply run(String path, String script) {
        return http.send(post(path).contentType(MediaType.TEXT_PLAIN).content(script));
    }

    @Test
    void suiteScript_passes_withEveryLineAndTheWire() throws IOException {
        Http.Reply reply = run(Files.readString(Path.of("src/test/resources/scripts/lifecycle.pkt")));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.result")).isEqualTo("pass");
        assertThat(reply.<String>at("$.summary")).isEqualTo("17 of 17 lines passed");
        assertThat(reply.<String>at("$.setup.local")).isEqualTo("192.168.0.1:8080");
        assertThat(reply.<List<String>>at("$.lines[*].status")).containsOnly("pass");
        assertThat(reply.<String>at("$.lines[5].text")).isEqualTo("+0   > S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
        assertThat(reply.<String>at("$.lines[5].actual")).isEqualTo("S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
        assertThat(reply.<List<String>>at("$.wire[*].direction")).startsWith("in", "out", "in");
    }

    @Test
    void failingScript_answers200_withTheLineExpectedAndActual() {
        Http.Reply reply = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 1) = 0
                +0   < S 0:0(0) win 32792 <mss 1000>
                +0   > S. 0:0(0) ack 1 win 65160 <mss 1460>
                """);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.result")).isEqualTo("fail");
        assertThat(reply.<Integer>at("$.failure.line")).isEqualTo(5);
        assertThat(reply.<String>at("$.failure.detail")).isEqualTo("window: expected 65160 but the kernel sent 64240");
        assertThat(reply.<String>at("$.lines[4].expected")).isEqualTo("S. 0:0(0) ack 1 win 65160 <mss 1460>");
        assertThat(reply.<String>at("$.lines[4].actual")).isEqualTo("S. 0:0(0) ack 1 win 64240 <mss 1460>");
    }

    @Test
    void formatText_printsTheRunAsATerminalWould() {
        Http.Reply reply = run(RUNS + "?format=text", """
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   close(3) = 0
                +0   close(3) = 0
                """);
        assertThat(reply.contentType()).startsWith("text/plain");
        assertThat(reply.body()).startsWith("FAIL: 2 of 3 lines passed; line 3 failed\n")
                .contains("    1 ok          0.000  0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3")
                .contains("why:      expected the call to return 0 but it returned -1 EBADF (Bad file descriptor)");
    }

    @Test
    void seed_changesTheIsnsButNotTheVerdict() {
        String script = """
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 1) = 0
                +0   < S 0:0(0) win 32792 <mss 1000>
                +0   > S. 0:0(0) ack 1 <mss 1460>
                """;
        Http.Reply one = run(RUNS + "?seed=1", script);
        Http.Reply two = run(RUNS + "?seed=2", script);
        assertThat(two.<String>at("$.result")).isEqualTo("pass");
        assertThat(two.<Integer>at("$.setup.seed")).isEqualTo(2);
        assertThat(two.<String>at("$.wire[1].packet")).isNotEqualTo(one.<String>at("$.wire[1].packet"));
        assertThat(run(RUNS + "?seed=1", script).<String>at("$.wire[1].packet")).isEqualTo(one.<String>at("$.wire[1].packet"));
    }

    @Test
    void parseError_isAProblemNamingTheLine() {
        Http.Reply reply = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   < S 0:0(0) <mss 1000>
                """);
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/script-error");
        assertThat(reply.<Integer>at("$.line")).isEqualTo(3);
        assertThat(reply.<String>at("$.detail")).startsWith("line 3: an inbound packet needs its window, e.g. 'win 32792'");
    }

    @Test
    void backquotedShellLine_thatIsNoSetupIdiom_isRefused_andNothingIsRun(@TempDir Path dir) {
        Path proof = dir.resolve("ran");
        Http.Reply reply = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   `touch %s`
                +0   bind(3, ..., ...) = 0
                """.formatted(proof));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.<Integer>at("$.line")).isEqualTo(2);
        assertThat(reply.<String>at("$.detail")).startsWith("line 2: the backquoted command 'touch " + proof + "' is not understood")
                .contains("never runs commands");
        assertThat(proof).doesNotExist();
    }

    @Test
    void codeBlock_outsideTheAssertionGrammar_isRefused_andNothingIsRun(@TempDir Path dir) {
        Path proof = dir.resolve("ran");
        Http.Reply reply = run("""
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   %%{
                open('%s', 'w').write('x')
                }%%
                """.formatted(proof));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.<Integer>at("$.line")).isEqualTo(3);
        assertThat(reply.<String>at("$.detail")).startsWith("line 3: '.' is not understood in %{ }%").contains("never Python");
        assertThat(proof).doesNotExist();
    }

    @Test
    void sysctlParameter_setsTheReceiveBufferOfAnOlderSuite_andABadOneIs400NamingIt() {
        String script = """
                0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
                +0   bind(3, ..., ...) = 0
                +0   listen(3, 1) = 0
                +0   < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
                +0   > S. 0:0(0) ack 1 <mss 1460,nop,wscale 6>
                """;
        Http.Reply reply = run(RUNS + "?sysctl=net.ipv4.tcp_rmem=4096 87380 3145728", script);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.result")).isEqualTo("pass");
        assertThat(reply.<Integer>at("$.setup.sysctls['net.ipv4.tcp_rmem.max']")).isEqualTo(3145728);
        assertThat(run(script).<String>at("$.result")).isEqualTo("fail");
        Http.Reply bad = run(RUNS + "?sysctl=net.ipv4.tcp_rmem=4096", script);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.<String>at("$.detail")).contains("net.ipv4.tcp_rmem takes three values");
    }

    @Test
    void oversizedScript_is413() {
        Http.Reply reply = run("// " + "x".repeat(70_000) + "\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/script-too-large");
        assertThat(reply.<String>at("$.detail")).contains("at most 65536 are accepted (vkernel.scripts.max-bytes)");
        Http.Reply lines = run("\n".repeat(2001) + "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
        assertThat(lines.status()).isEqualTo(413);
        assertThat(lines.<String>at("$.detail")).contains("at most 2000 are accepted (vkernel.scripts.max-lines)");
    }

    @Test
    void eventBeyondTheVirtualTimeLimit_is400() {
        Http.Reply reply = run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+100000 close(3) = 0\n");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.<String>at("$.detail")).isEqualTo("line 2: this event is at 100000.000 s of virtual time, beyond the "
                + "limit of 86400 s (vkernel.scripts.max-virtual-seconds)");
    }

    @Test
    void emptyBody_andJson_areRefusedWithWhatToSend() {
        Http.Reply empty = run("   \n");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.<String>at("$.detail")).startsWith("send the script as the text/plain request body");
        Http.Reply json = http.post(RUNS, "{\"script\": \"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\"}");
        assertThat(json.status()).isEqualTo(415);
        assertThat(json.contentType()).isEqualTo("application/problem+json");
        assertThat(json.<String>at("$.detail")).isEqualTo("send the script itself as text/plain, not application/json");
        Http.Reply form = http.send(post(RUNS).contentType(MediaType.APPLICATION_FORM_URLENCODED).content("0 socket"));
        assertThat(form.status()).isEqualTo(415);
        assertThat(form.<String>at("$.detail")).contains("curl -d sends a form and drops the newlines");
    }
}
