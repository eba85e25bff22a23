package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.stereotype.Component;

/** Finds the kernel a request names, or answers 404 with the ids that exist. */
@Component
class Kernels {

    private final KernelRegistry registry;

    Kernels(KernelRegistry registry) {
        this.registry = registry;
    }

    Kernel get(String id) {
        return registry.find(id).orElseThrow(() -> ApiException.notFound("kernel",
                "no kernel '" + id + "'; 'default' always exists, and GET /api/v1/kernels lists the others"));
    }
}
