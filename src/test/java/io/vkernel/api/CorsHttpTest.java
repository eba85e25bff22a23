package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** vkernel.cors.allowed-origins opens the API to the origins it lists, and to no other. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "vkernel.cors.allowed-origins=http://workshop.example, http://localhost:*")
class CorsHttpTest {

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void aListedOrigin_mayCallTheApi_anotherMayNot() throws Exception {
        assertThat(preflight("http://workshop.example").headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://workshop.example");
        assertThat(preflight("http://localhost:3000").headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://localhost:3000");
        HttpResponse<String> refused = preflight("http://evil.example");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    private HttpResponse<String> preflight(String origin) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/kernels/default/processes"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "content-type")
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
