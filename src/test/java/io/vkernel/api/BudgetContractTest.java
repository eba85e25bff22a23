package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published contract (openapi/openapi.yaml, equal to the running document by OpenApiContractTest) tells a client
 * which operations a memory budget can refuse with 507, and what that problem looks like: each operation that
 * {@link MemoryBudgetHttpTest} and {@code NetworkRegistry} refuse lists 507, and the shared response's example carries
 * the members ProblemHandler adds ({@code budget}, {@code setting}, the bytes).
 */
class BudgetContractTest {

    private static final String BUDGET_REF = "#/components/responses/MemoryBudgetSpent";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> map, String... keys) {
        Map<String, Object> here = map;
        for (String key : keys) {
            here = (Map<String, Object>) here.get(key);
            assertThat(here).as(String.join(" > ", keys) + ": no '" + key + "'").isNotNull();
        }
        return here;
    }

    private static Map<String, Object> contract() throws IOException {
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(Path.of("openapi", "openapi.yaml")));
    }

    @Test
    void everyOperationABudgetRefuses_lists507_asTheSharedMemoryBudgetProblem() throws IOException {
        Map<String, Object> spec = contract();
        List<String> refusing = List.of("/api/v1/kernels", "/api/v1/kernels/{k}/packets", "/api/v1/kernels/{k}/processes",
                "/api/v1/kernels/{k}/processes/{pid}/socket", "/api/v1/kernels/{k}/processes/{pid}/write",
                "/api/v1/kernels/{k}/processes/{pid}/send", "/api/v1/kernels/{k}/processes/{pid}/read",
                "/api/v1/kernels/{k}/processes/{pid}/accept", "/api/v1/kernels/{k}/processes/{pid}/connect",
                "/api/v1/kernels/{k}/processes/{pid}/poll", "/api/v1/networks", "/api/v1/kernels/import");
        List<String> missing = new ArrayList<>();
        for (String path : refusing) {
            Map<String, Object> responses = at(spec, "paths", path, "post", "responses");
            Object budget = responses.get("507");
            if (!(budget instanceof Map<?, ?> ref) || !BUDGET_REF.equals(ref.get("$ref"))) {
                missing.add("POST " + path + " -> " + budget);
            }
        }
        assertThat(missing).as("operations a memory budget refuses without the contract saying so").isEmpty();
        // a GET never grows a kernel: the budget is not among its answers
        assertThat(at(spec, "paths", "/api/v1/kernels/{k}/connections", "get", "responses")).doesNotContainKey("507");
    }

    @Test
    void theMemoryBudgetProblem_hasAnExampleWithTheBudgetItNames_andTheProblemSchemaDocumentsItsMembers() throws IOException {
        Map<String, Object> spec = contract();
        Map<String, Object> example = at(spec, "components", "responses", "MemoryBudgetSpent", "content",
                "application/problem+json", "example");
        assertThat(example).containsEntry("status", 507).containsEntry("type", "https://vkernel.dev/problems/memory-budget")
                .containsEntry("budget", "kernel").containsEntry("setting", "vkernel.budget.kernel-bytes")
                .containsKeys("detail", "usedBytes", "requestedBytes", "limitBytes");
        assertThat(at(spec, "components", "schemas", "Problem", "properties"))
                .containsKeys("budget", "setting", "usedBytes", "requestedBytes", "limitBytes");
    }
}
