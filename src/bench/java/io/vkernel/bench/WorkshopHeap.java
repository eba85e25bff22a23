package io.vkernel.bench;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fills a running service as a workshop would: {@code attendees} x {@code kernels} kernels, each with a listening
 * server and {@code connections} connections handshaken (one batch of SYNs, one of ACKs) and accepted, over HTTP.
 * Then checks the service still answers (ping, health, every kernel's invariant check) and prints the heap the JVM
 * uses after a GC, as the service's own metrics report it. Usage:
 * {@code WorkshopHeap http://localhost:PORT [attendees] [kernels] [connections]} (BENCHMARKS.md).
 */
public final class WorkshopHeap {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().build();
    private static final AtomicInteger FAILURES = new AtomicInteger();
    private static final AtomicInteger REQUESTS = new AtomicInteger();

    private WorkshopHeap() {
    }

    public static void main(String[] args) throws Exception {
        String base = args[0];
        int attendees = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int kernels = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<?>> work = new ArrayList<>();
        for (int a = 0; a < attendees; a++) {
            for (int k = 0; k < kernels; k++) {
                String id = "a" + a + "-k" + k;
                work.add(pool.submit(() -> {
                    fill(base, id, connections);
                    return null;
                }));
            }
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool.shutdown();
        System.out.printf("filled %d kernels x %d connections with %d requests in %.0f s; failed requests: %d%n",
                attendees * kernels, connections, REQUESTS.get(), (System.nanoTime() - start) / 1e9, FAILURES.get());

        int unclean = 0;
        for (int a = 0; a < attendees; a++) {
            for (int k = 0; k < kernels; k++) {
                JsonNode check = JSON.readTree(send("GET", base + "/api/v1/kernels/a" + a + "-k" + k + "/check", null, 200));
                if (!check.path("ok").asBoolean()) {
                    unclean++;
                }
            }
        }
        JsonNode listed = JSON.readTree(send("GET", base + "/api/v1/kernels", null, 200));
        System.out.printf("kernels listed: %d; invariant checks not clean: %d; ping: %s%n", listed.size(), unclean,
                send("GET", base + "/api/v1/ping", null, 200).replaceAll("\\s+", ""));
        System.out.println("health: " + send("GET", base + "/actuator/health", null, -1).replaceAll("\\s+", ""));
        JsonNode used = JSON.readTree(send("GET", base + "/actuator/metrics/jvm.memory.used?tag=area:heap", null, 200));
        JsonNode max = JSON.readTree(send("GET", base + "/actuator/metrics/jvm.memory.max?tag=area:heap", null, 200));
        System.out.printf("heap used %.0f MiB of max %.0f MiB (before any forced GC)%n",
                used.path("measurements").get(0).path("value").asDouble() / (1 << 20),
                max.path("measurements").get(0).path("value").asDouble() / (1 << 20));
    }

    private static void fill(String base, String id, int connections) throws Exception {
        String k = base + "/api/v1/kernels/" + id;
        send("POST", base + "/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":1}", 201);
        send("POST", k + "/processes", "{\"name\":\"server\"}", 201);
        send("POST", k + "/processes/12345/socket", null, 200);
        send("POST", k + "/processes/12345/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}", 200);
        send("POST", k + "/processes/12345/listen", "{\"fd\":3,\"backlog\":128}", 200);
        StringBuilder syns = new StringBuilder("[");
        for (int i = 0; i < connections; i++) {
            syns.append(i == 0 ? "" : ",").append(packet(i, "S", 1000, -1));
        }
        JsonNode synAcks = JSON.readTree(send("POST", k + "/packets", syns.append(']').toString(), 200)).path("results");
        StringBuilder acks = new StringBuilder("[");
        for (int i = 0; i < connections; i++) {
            long isn = synAcks.get(i).path("sent").get(0).path("seq").asLong();
            acks.append(i == 0 ? "" : ",").append(packet(i, ".", 1001, (isn + 1) & 0xffffffffL));
        }
        send("POST", k + "/packets", acks.append(']').toString(), 200);
        for (int i = 0; i < connections; i++) {
            send("POST", k + "/processes/12345/accept", "{\"fd\":3}", 200);
        }
    }

    private static String packet(int i, String flags, long seq, long ack) {
        return "{\"src\":\"192.168." + (1 + i / 200) + "." + (1 + i % 200) + ":40000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\""
                + flags + "\",\"seq\":" + seq + (ack >= 0 ? ",\"ack\":" + ack : "") + "}";
    }

    private static String send(String method, String url, String body, int expected) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("accept", "application/json");
        if (body != null) {
            request.header("content-type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        REQUESTS.incrementAndGet();
        if (expected > 0 && response.statusCode() != expected) {
            FAILURES.incrementAndGet();
            System.err.println(method + " " + url + " -> " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }
}
