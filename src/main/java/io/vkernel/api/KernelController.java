package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.Attendees;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;

/** The sandboxes: list, create, inspect and delete kernels. */
@RestController
@RequestMapping("/api/v1/kernels")
@Tag(name = "kernels", description = "Sandbox kernels; 'default' (10.0.0.50) always exists")
class KernelController {

    /** Optional settings for a new kernel; every field may be left out. */
    record CreateKernel(String id, String address, Long seed, Integer buckets, String hash) {
    }

    private final KernelRegistry registry;
    private final Kernels kernels;
    private final Workshop workshop;

    KernelController(KernelRegistry registry, Kernels kernels, Workshop workshop) {
        this.registry = registry;
        this.kernels = kernels;
        this.workshop = workshop;
    }

    @GetMapping
    @Operation(summary = "List kernels", description = "in workshop mode an attendee sees their own kernels, the instructor all")
    List<Views.KernelView> listKernels() {
        return workshop.visible(registry.all()).stream().map(k -> k.inspect(Views::kernel)).toList();
    }

    @PostMapping
    @Operation(summary = "Create a kernel", description = "address defaults to 10.0.0.50, hash to jhash (Linux's), buckets to 65536; "
            + "a seed makes ISNs and hash buckets replay identically. In workshop mode a request without a token makes a new "
            + "attendee: the answer carries their `token`, shown only this once; with an attendee's token it makes another "
            + "kernel for them, within vkernel.workshop.kernels-per-attendee")
    ResponseEntity<Views.KernelView> createKernel(@RequestBody(required = false) CreateKernel body) {
        CreateKernel request = body != null ? body : new CreateKernel(null, null, null, null, null);
        Integer address = request.address() == null ? null : Inputs.address("address", request.address());
        Attendees.Created created;
        try {
            created = workshop.create(() -> registry.create(request.id(), address, request.seed(), request.buckets(), request.hash()));
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.CONFLICT, "kernel-exists", "Kernel exists", e.getMessage(), "id");
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String field = message.startsWith("id") ? "id" : message.startsWith("buckets") ? "buckets"
                    : message.startsWith("hash") ? "hash" : "address";
            throw ApiException.badField(field, message);
        }
        Kernel kernel = created.kernel();
        return ResponseEntity.created(URI.create("/api/v1/kernels/" + kernel.id()))
                .body(kernel.inspect(Views::kernel).withToken(created.token()));
    }

    @GetMapping("/{k}")
    @Operation(summary = "One kernel")
    Views.KernelView getKernel(@PathVariable String k) {
        return kernels.get(k).inspect(Views::kernel);
    }

    @DeleteMapping("/{k}")
    @Operation(summary = "Delete a kernel", description = "deleting 'default' replaces it with a fresh one")
    ResponseEntity<Void> deleteKernel(@PathVariable String k) {
        kernels.get(k);
        registry.delete(k);
        return ResponseEntity.noContent().build();
    }
}
