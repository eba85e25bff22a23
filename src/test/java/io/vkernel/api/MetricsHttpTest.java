package io.vkernel.api;

import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The kernel counters an operator scrapes: packets in and out, drops by reason, connections by state, open FDs. */
class MetricsHttpTest extends HttpKernelTest {

    @Autowired
    List<DefaultMeterObservationHandler> meterHandlers;

    @Test
    void actuatorMetrics_countPacketsConnectionsDropsAndFds_perKernel() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 9, "S", 1, 0, null); // a second SYN: a request in SYN_RECV
        http.post(base + "/packets", "{\"src\":\"192.168.1.100:1\",\"dst\":\"10.0.0.50:9999\",\"flags\":\"S\"}");
        String kernel = base.substring(base.lastIndexOf('/') + 1);

        assertThat(metric("vkernel.packets.in", "kernel:" + kernel)).isEqualTo(4.0);
        assertThat(metric("vkernel.packets.out", "kernel:" + kernel)).as("two SYN-ACKs and a RST").isEqualTo(3.0);
        assertThat(metric("vkernel.packets.dropped", "kernel:" + kernel, "reason:NO_SOCKET")).isEqualTo(1.0);
        assertThat(metric("vkernel.connections", "kernel:" + kernel, "state:ESTABLISHED")).isEqualTo(1.0);
        assertThat(metric("vkernel.connections", "kernel:" + kernel, "state:SYN_RECV")).isEqualTo(1.0);
        assertThat(metric("vkernel.fds.open", "kernel:" + kernel)).as("0, 1, 2, the listener and the connection").isEqualTo(5.0);

        String prometheus = http.get("/actuator/prometheus").body();
        assertThat(prometheus).contains("vkernel_packets_in_total{kernel=\"" + kernel + "\"} 4.0");
        assertThat(http.get("/actuator/health").body()).contains("UP");
    }

    @Test
    void actuatorMetrics_countRetransmissionsAndTimeouts_asNstatNamesThem() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("write", "{\"fd\":4,\"data\":\"never acknowledged\"}");
        advance(250); // the handshake took no time: RTO 200 ms, then 400 ms
        String kernel = base.substring(base.lastIndexOf('/') + 1);

        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpExtTCPTimeouts")).isEqualTo(1.0);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpRetransSegs")).isEqualTo(1.0);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpExtTCPLossProbes"))
                .as("no SACK on this connection: no tail loss probe").isEqualTo(0.0);
        advance(400);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpRetransSegs")).isEqualTo(2.0);
    }

    @Test
    void httpServerRequests_onceForEachRequest_taggedByPatternStatusOutcomeExceptionAndError() {
        // Boot's observation filter records it: exactly one count per request (a second recorder would count two),
        // with the observation's tags
        double pings = countOr0("http.server.requests", "uri:/api/v1/ping", "method:GET", "status:200", "outcome:SUCCESS",
                "exception:none", "error:none");
        double badPosts = countOr0("http.server.requests", "method:POST", "status:400", "outcome:CLIENT_ERROR");
        for (int i = 0; i < 3; i++) {
            assertThat(http.get("/api/v1/ping").status()).isEqualTo(200);
        }
        assertThat(http.get("/api/v1/no-such-thing").status()).isEqualTo(404);
        assertThat(syscall("fcntl", "{\"fd\":3,\"cmd\":\"F_NOPE\"}").status()).isEqualTo(400);

        assertThat(metric("http.server.requests", "uri:/api/v1/ping", "method:GET", "status:200", "outcome:SUCCESS",
                "exception:none", "error:none")).isEqualTo(pings + 3);
        // FallbackController's /api/** pattern answers it, so the uri tag is that pattern, as with Boot's filter
        assertThat(metric("http.server.requests", "method:GET", "status:404", "outcome:CLIENT_ERROR")).isPositive();
        assertThat(metric("http.server.requests", "method:POST", "status:400", "outcome:CLIENT_ERROR")).isEqualTo(badPosts + 1);
        // recorded by the handler that keeps its meters (ObservationMetersTest: the same meters as Micrometer's)
        assertThat(meterHandlers).hasSize(1).allMatch(ObservationMeters.Kept.class::isInstance);
        Http.Reply reply = http.get("/actuator/metrics/http.server.requests");
        assertThat(reply.body()).contains("\"tag\" : \"exception\"", "\"tag\" : \"method\"", "\"tag\" : \"outcome\"",
                "\"tag\" : \"status\"", "\"tag\" : \"uri\"", "\"tag\" : \"error\"");
        Http.Reply active = http.get("/actuator/metrics/http.server.requests.active?tag=uri:UNKNOWN&tag=outcome:SUCCESS&tag=status:200");
        assertThat(active.status()).as(active.body()).isEqualTo(200);
        assertThat(http.get("/actuator/prometheus").body()).contains("http_server_requests_seconds_count{error=\"none\",exception=\"none\","
                + "method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/api/v1/ping\"}", "http_server_requests_seconds_count{error=\"none\","
                + "exception=\"none\",method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"400\",uri=\"/api/v1/kernels/{k}/processes/{pid}/fcntl\"}");
    }

    private double countOr0(String name, String... tags) {
        StringBuilder url = new StringBuilder("/actuator/metrics/" + name + "?");
        for (String tag : tags) {
            url.append("tag=").append(tag).append('&');
        }
        Http.Reply reply = http.get(url.toString());
        return reply.status() == 404 ? 0 : ((Number) reply.at("$.measurements[0].value")).doubleValue();
    }

    private double metric(String name, String... tags) {
        StringBuilder url = new StringBuilder("/actuator/metrics/" + name + "?");
        for (String tag : tags) {
            url.append("tag=").append(tag).append('&');
        }
        Http.Reply reply = http.get(url.toString());
        assertThat(reply.status()).as(url + " " + reply.body()).isEqualTo(200);
        return ((Number) reply.at("$.measurements[0].value")).doubleValue();
    }
}
