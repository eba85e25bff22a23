package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.KernelActivity;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.stereotype.Component;

/** Finds the kernel a request names, or answers 404 with the ids that exist; notes that it was used. */
@Component
class Kernels {

    private final KernelRegistry registry;
    private final KernelActivity activity;

    Kernels(KernelRegistry registry, KernelActivity activity) {
        this.registry = registry;
        this.activity = activity;
    }

    /** The kernel, marked as used now (workshop mode evicts kernels nobody uses). */
    Kernel get(String id) {
        Kernel kernel = registry.find(id).orElseThrow(() -> ApiException.notFound("kernel",
                "no kernel '" + id + "'; 'default' always exists, and GET /api/v1/kernels lists the others"));
        activity.touch(id);
        return kernel;
    }
}
