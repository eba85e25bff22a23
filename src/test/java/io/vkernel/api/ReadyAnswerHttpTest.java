package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A system call that completes at once goes out as one answer with its length, like the ping and an injection, not
 * chunked: through a real Tomcat, read off the socket as a client sees it (MockMvc has no transfer encoding).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ReadyAnswerHttpTest {

    @LocalServerPort
    int port;

    @Test
    void aCallThatCompletesAnswersWithItsContentLength() throws IOException {
        Raw created = send("POST", "/api/v1/kernels/default/processes", "{\"name\":\"ready-length\"}");
        assertThat(created.status()).isEqualTo(201);
        String pid = created.body().replaceAll("(?s).*\"pid\" : (\\d+).*", "$1");
        String p = "/api/v1/kernels/default/processes/" + pid;

        Raw socket = send("POST", p + "/socket", null);
        assertThat(socket.status()).isEqualTo(200);
        assertThat(socket.body()).contains("\"ret\" : 3");
        assertWholeAnswer(socket);

        Raw fcntl = send("POST", p + "/fcntl", "{\"fd\":3,\"cmd\":\"F_GETFL\"}");
        assertThat(fcntl.body()).contains("\"strace\" : \"fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\"");
        assertWholeAnswer(fcntl);

        Raw text = send("POST", p + "/fcntl?format=text", "{\"fd\":3,\"cmd\":\"F_GETFL\"}");
        assertThat(text.body()).startsWith("fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
        assertWholeAnswer(text);

        // an error answered by the call itself (EBADF) is an answer like any other
        Raw badFd = send("POST", p + "/fcntl", "{\"fd\":99,\"cmd\":\"F_GETFL\"}");
        assertThat(badFd.status()).isEqualTo(200);
        assertThat(badFd.body()).contains("EBADF");
        assertWholeAnswer(badFd);

        assertThat(send("DELETE", p, null).status()).isEqualTo(200);
    }

    private static void assertWholeAnswer(Raw reply) {
        assertThat(reply.header("transfer-encoding")).as(reply.head()).isNull();
        assertThat(reply.header("content-length")).as(reply.head())
                .isEqualTo(String.valueOf(reply.body().getBytes(StandardCharsets.UTF_8).length));
    }

    private record Raw(String head, String body) {
        int status() {
            return Integer.parseInt(head.split(" ")[1]);
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private Raw send(String method, String path, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + (json == null ? "" : "Content-Type: application/json\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = all.indexOf("\r\n\r\n");
            return new Raw(all.substring(0, end), all.substring(end + 4));
        }
    }
}
