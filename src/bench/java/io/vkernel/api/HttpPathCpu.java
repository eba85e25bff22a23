package io.vkernel.api;

import io.vkernel.VkernelApplication;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.servlet.ServletContextInitializerBeans;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * What one HTTP request costs vkernel's server threads, measured in process and by CPU time, so a machine busy with
 * other work changes the figures little (issue 16). Starts the real application (embedded Tomcat on a loopback port),
 * sends keep-alive requests from one client thread over a plain socket, and reads the CPU time and the bytes
 * allocated of Tomcat's threads ({@code http-nio-*}) around each round: the client's own work is not counted, nor
 * the JIT's or the GC's. Then asks each of the DispatcherServlet's handler mappings in turn, in its order, for each
 * request's handler, and prints what each one costs (a mapping that does not know the path still pays to say so).
 * <p>Usage: {@code HttpPathCpu [port] [requests-per-round] [rounds] [spring args...]}, e.g.
 * {@code --vkernel.journal.enabled=false}; {@code -Dhttppath.only=ping} measures only the named requests (comma-separated:
 * ping, fcntl, inject-on, inject-off), to profile one of them. Prints the servlet filters in order first.
 */
public final class HttpPathCpu {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18083;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        List<String> spring = new ArrayList<>(List.of("--server.port=" + port, "--logging.level.root=WARN",
                "--vkernel.data-dir=" + Files.createTempDirectory("vkernel-http-cpu")));
        for (int i = 3; i < args.length; i++) {
            spring.add(args[i]);
        }
        ConfigurableApplicationContext context = SpringApplication.run(VkernelApplication.class, spring.toArray(String[]::new));
        try (Client client = new Client(port)) {
            System.out.println("servlet filters, in order:");
            new ServletContextInitializerBeans(context.getBeanFactory()).forEach(i -> System.out.println("  " + i));

            String k = "/api/v1/kernels/default";
            client.post(k + "/processes", "{\"name\":\"server\"}");
            client.post(k + "/processes/12345/socket", null);
            client.post(k + "/processes/12345/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
            client.post(k + "/processes/12345/listen", "{\"fd\":3,\"backlog\":128}");
            String synAck = client.post(k + "/packets", "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":1000}");
            Matcher seq = Pattern.compile("\"seq\" : (\\d+)").matcher(synAck);
            long last = 0;
            while (seq.find()) {
                last = Long.parseLong(seq.group(1));
            }
            String ack = "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\".\",\"seq\":1001,\"ack\":" + (last + 1) + "}";
            client.post(k + "/packets", ack);
            client.post(k + "/processes/12345/accept", "{\"fd\":3}");
            // the DispatcherServlet finds its handler mappings on its first request
            DispatcherServlet dispatcher = context.getBean(DispatcherServlet.class);
            System.out.println("handler mappings, in order:");
            for (HandlerMapping mapping : dispatcher.getHandlerMappings()) {
                System.out.println("  " + mapping.getClass().getName());
            }

            System.out.println("message converters, in order:");
            context.getBean(org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.class)
                    .getMessageConverters().forEach(c -> System.out.println("  " + c.getClass().getName() + " " + c.getSupportedMediaTypes()));

            Map<String, byte[]> requests = new LinkedHashMap<>();
            requests.put("ping", Client.request("GET", "/api/v1/ping", null));
            requests.put("fcntl", Client.request("POST", k + "/processes/12345/fcntl", "{\"fd\":4,\"cmd\":\"F_GETFL\"}"));
            requests.put("inject-on", Client.request("POST", k + "/packets", ack));
            requests.put("inject-off", Client.request("POST", k + "/packets", ack));
            // -Dhttppath.only=ping,fcntl measures only those (a profile of one request, e.g. under JFR)
            String only = System.getProperty("httppath.only");
            if (only != null) {
                requests.keySet().retainAll(List.of(only.split(",")));
            }
            Map<String, double[]> best = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, byte[]> r : requests.entrySet()) {
                    if (r.getKey().startsWith("inject")) {
                        client.put(k + "/sysctl/vkernel.trace", "{\"value\":" + (r.getKey().endsWith("on") ? 1 : 0) + "}");
                    }
                    double[] cost = client.measure(r.getValue(), perRound);
                    best.merge(r.getKey(), cost, (a, b) -> a[0] <= b[0] ? a : b);
                    System.out.printf(Locale.ROOT, "round %d %-11s %7.1f us CPU/request %8.0f bytes/request%n", round, r.getKey(), cost[0], cost[1]);
                }
            }
            client.put(k + "/sysctl/vkernel.trace", "{\"value\":1}");

            System.out.println("handler lookup per mapping (us per request, the mapping's answer):");
            Map<String, MockHttpServletRequest> lookups = new LinkedHashMap<>();
            lookups.put("ping", new MockHttpServletRequest("GET", "/api/v1/ping"));
            lookups.put("fcntl", new MockHttpServletRequest("POST", k + "/processes/12345/fcntl"));
            lookups.put("inject", new MockHttpServletRequest("POST", k + "/packets"));
            for (Map.Entry<String, MockHttpServletRequest> e : lookups.entrySet()) {
                MockHttpServletRequest request = e.getValue();
                request.setContentType("application/json");
                for (HandlerMapping mapping : dispatcher.getHandlerMappings()) {
                    double us = Double.MAX_VALUE;
                    Object handler = null;
                    for (int round = 0; round < rounds; round++) {
                        long start = THREADS.getCurrentThreadCpuTime();
                        for (int i = 0; i < perRound; i++) {
                            request.clearAttributes();
                            ServletRequestPathUtils.parseAndCache(request);
                            handler = mapping.getHandler(request);
                        }
                        us = Math.min(us, (THREADS.getCurrentThreadCpuTime() - start) / 1e3 / perRound);
                    }
                    System.out.printf(Locale.ROOT, "  %-7s %6.2f  %-90s %s%n", e.getKey(), us, mapping.getClass().getName(),
                            handler == null ? "-" : "found");
                    if (handler != null) {
                        break; // the DispatcherServlet stops at the first mapping that has a handler
                    }
                }
            }
            System.out.println("best round, us CPU per request on Tomcat's threads / bytes allocated per request:");
            best.forEach((name, cost) -> System.out.printf(Locale.ROOT, "  %-11s %7.1f %8.0f%n", name, cost[0], cost[1]));
            System.out.println("load average " + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        } finally {
            context.close();
        }
    }

    /** One keep-alive connection; answers are read by their Content-Length (Tomcat sets it for small answers). */
    private static final class Client implements AutoCloseable {
        private final int port;
        private Socket socket;
        private OutputStream out;
        private InputStream in;

        Client(int port) throws IOException {
            this.port = port;
            open();
        }

        /** Tomcat closes a connection after 100 requests (maxKeepAliveRequests, as for wrk): open the next. */
        private void open() throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        static byte[] request(String method, String path, String body) {
            StringBuilder s = new StringBuilder().append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                s.append("Content-Type: application/json\r\n");
            }
            if (!method.equals("GET")) {
                s.append("Content-Length: ").append(bytes.length).append("\r\n");
            }
            s.append("\r\n");
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(s.toString().getBytes(StandardCharsets.ISO_8859_1));
            all.writeBytes(bytes);
            return all.toByteArray();
        }

        String post(String path, String body) throws IOException {
            return send(request("POST", path, body));
        }

        String put(String path, String body) throws IOException {
            return send(request("PUT", path, body));
        }

        String send(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            return read();
        }

        /** [CPU us per request, bytes allocated per request] on Tomcat's threads. */
        double[] measure(byte[] request, int count) throws IOException {
            for (int i = 0; i < count / 4; i++) {
                send(request); // settle the JIT for this request before counting
            }
            long[] before = serverThreads();
            for (int i = 0; i < count; i++) {
                send(request);
            }
            long[] after = serverThreads();
            return new double[] {(after[0] - before[0]) / 1e3 / count, (after[1] - before[1]) / (double) count};
        }

        private static long[] serverThreads() {
            long cpu = 0;
            long bytes = 0;
            for (var info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
                if (info != null && info.getThreadName().startsWith("http-nio-")) {
                    long id = info.getThreadId();
                    cpu += Math.max(0, THREADS.getThreadCpuTime(id));
                    bytes += Math.max(0, THREADS.getThreadAllocatedBytes(id));
                }
            }
            return new long[] {cpu, bytes};
        }

        private String read() throws IOException {
            StringBuilder head = new StringBuilder();
            int state = 0;
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed");
                }
                head.append((char) b);
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : (b == '\r' ? 1 : 0);
            }
            Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            byte[] body;
            if (m.find()) {
                body = in.readNBytes(Integer.parseInt(m.group(1)));
            } else { // chunked
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                while (true) {
                    int size = Integer.parseInt(line(), 16);
                    all.writeBytes(in.readNBytes(size));
                    line();
                    if (size == 0) {
                        break;
                    }
                }
                body = all.toByteArray();
            }
            if (head.toString().toLowerCase(Locale.ROOT).contains("connection: close")) {
                socket.close();
                open();
            }
            if (!head.toString().startsWith("HTTP/1.1 2")) {
                throw new IOException("unexpected answer: " + head + new String(body, StandardCharsets.UTF_8));
            }
            return new String(body, StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            StringBuilder s = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed");
                }
                if (b != '\r') {
                    s.append((char) b);
                }
            }
            return s.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
