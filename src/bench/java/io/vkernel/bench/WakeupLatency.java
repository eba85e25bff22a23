package io.vkernel.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parks N blocking reads over HTTP at once (each on its own connection), then wakes each with an injected segment
 * and reports the wake-up latency: from sending the injection to the parked read's response. Run by
 * bench/http-bench.sh against a running service: java -cp ... io.vkernel.bench.WakeupLatency http://localhost:18080 10000
 */
public final class WakeupLatency {

    private static final Pattern SEQ = Pattern.compile("\"seq\" ?: ?(\\d+)");

    private WakeupLatency() {
    }

    public static void main(String[] args) throws Exception {
        String root = args.length > 0 ? args[0] : "http://localhost:18080";
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String kernelId = "wakeup-" + System.nanoTime() % 100000;
        String k = root + "/api/v1/kernels/" + kernelId;
        call(http, "POST", root + "/api/v1/kernels", "{\"id\":\"" + kernelId + "\",\"seed\":5}");
        call(http, "PUT", k + "/sysctl/vkernel.trace", "{\"value\":0}");
        call(http, "PUT", k + "/sysctl/rlimit.nofile", "{\"value\":" + (count + 100) + "}");
        String pid = find(call(http, "POST", k + "/processes", "{\"name\":\"server\"}"), "\"pid\" ?: ?(\\d+)");
        String p = k + "/processes/" + pid;
        call(http, "POST", p + "/socket", "{}");
        call(http, "POST", p + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        call(http, "POST", p + "/listen", "{\"fd\":3,\"backlog\":4096}");
        long[] acks = new long[count];
        for (int first = 0; first < count; first += 1000) {
            int n = Math.min(1000, count - first);
            StringBuilder syns = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                syns.append(i == 0 ? "" : ",").append(packet(first + i, "S", 1000, 0, null));
            }
            Matcher m = SEQ.matcher(call(http, "POST", k + "/packets", syns.append("]").toString()));
            List<Long> seqs = new ArrayList<>();
            while (m.find()) {
                seqs.add(Long.parseLong(m.group(1)));
            }
            StringBuilder finals = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                acks[first + i] = seqs.get(2 * i + 1) + 1; // each result shows the SYN, then the SYN-ACK
                finals.append(i == 0 ? "" : ",").append(packet(first + i, ".", 1001, acks[first + i], null));
            }
            call(http, "POST", k + "/packets", finals.append("]").toString());
            for (int i = 0; i < n; i++) {
                call(http, "POST", p + "/accept", "{\"fd\":3}");
            }
        }
        long[] done = new long[count];
        List<CompletableFuture<?>> reads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            HttpRequest read = HttpRequest.newBuilder(URI.create(p + "/read?wait=120000")).timeout(Duration.ofMinutes(3))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"fd\":" + (4 + i) + "}")).build();
            reads.add(http.sendAsync(read, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> done[index] = System.nanoTime()));
        }
        while (!call(http, "GET", k, null).contains("\"packetsIn\"") || sleeping(http, p) < count) {
            Thread.sleep(200);
        }
        long[] sent = new long[count];
        for (int i = 0; i < count; i++) {
            sent[i] = System.nanoTime();
            call(http, "POST", k + "/packets", packet(i, "P.", 1001, acks[i], "wake"));
        }
        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
        long[] micros = new long[count];
        for (int i = 0; i < count; i++) {
            micros[i] = (done[i] - sent[i]) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf("parked=%d wakeup p50=%d us p99=%d us max=%d us%n", count, micros[count / 2], micros[count * 99 / 100], micros[count - 1]);
    }

    private static int sleeping(HttpClient http, String process) throws Exception {
        String body = call(http, "GET", process, null);
        int n = 0;
        for (int i = body.indexOf("SLEEPING"); i >= 0; i = body.indexOf("SLEEPING", i + 1)) {
            n++;
        }
        return n;
    }

    private static String packet(int i, String flags, long seq, long ack, String payload) {
        return "{\"src\":\"172.16." + (i / 250) + "." + (1 + i % 250) + ":40000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\""
                + flags + "\",\"seq\":" + seq + ",\"ack\":" + ack + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}";
    }

    private static String call(HttpClient http, String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).header("content-type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw new IllegalStateException(method + " " + url + " -> " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static String find(String body, String regex) {
        Matcher m = Pattern.compile(regex).matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in " + body);
        }
        return m.group(1);
    }
}
