package io.vkernel.api;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.RequestBuilder;

import java.nio.charset.StandardCharsets;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;

/** A small HTTP client over MockMvc: sends JSON, follows async answers, and reads bodies with JSON paths. */
final class Http {

    record Reply(int status, String contentType, String body, String location) {
        DocumentContext json() {
            return JsonPath.parse(body);
        }

        <T> T at(String path) {
            return json().read(path);
        }
    }

    private final MockMvc mvc;

    Http(MockMvc mvc) {
        this.mvc = mvc;
    }

    Reply post(String path, String json) {
        return send(MockMvcRequestJson.post(path, json));
    }

    Reply get(String path) {
        return send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get(path));
    }

    /** Starts a request and returns it without waiting for an async answer (a blocked call). */
    MvcResult start(String path, String json) {
        try {
            return mvc.perform(MockMvcRequestJson.post(path, json)).andReturn();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The answer of a started request: its async answer, or the one it gave at once (a call that did not wait). */
    Reply finish(MvcResult started) {
        try {
            if (!started.getRequest().isAsyncStarted()) {
                return reply(started);
            }
            return reply(mvc.perform(asyncDispatch(started)).andReturn());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Reply send(RequestBuilder request) {
        try {
            MvcResult result = mvc.perform(request).andReturn();
            if (result.getRequest().isAsyncStarted()) {
                result = mvc.perform(asyncDispatch(result)).andReturn();
            }
            return reply(result);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reply reply(MvcResult result) throws Exception {
        return new Reply(result.getResponse().getStatus(), result.getResponse().getContentType(),
                result.getResponse().getContentAsString(StandardCharsets.UTF_8), result.getResponse().getHeader("Location"));
    }

    /** Request builders for JSON bodies. */
    static final class MockMvcRequestJson {
        static RequestBuilder post(String path, String json) {
            var builder = org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post(path);
            return json == null ? builder : builder.contentType(MediaType.APPLICATION_JSON).content(json);
        }
    }
}
