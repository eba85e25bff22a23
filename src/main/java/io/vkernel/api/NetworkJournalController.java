package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.journal.KernelJournal;
import io.vkernel.kernel.link.Network;
import io.vkernel.sandbox.NetworkRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;

/** A network's own journal: its header and what its link did, as kept for restarts. */
@RestController
@Tag(name = "journal", description = "Durable kernels: the journal of a kernel's inputs, export, import and fork")
class NetworkJournalController {

    private final NetworkRegistry networks;
    private final KernelJournal journal;

    NetworkJournalController(NetworkRegistry networks, KernelJournal journal) {
        this.networks = networks;
        this.journal = journal;
    }

    @GetMapping(value = "/api/v1/networks/{id}/journal", produces = JournalController.NDJSON)
    @Operation(summary = "The network's journal (NDJSON): its header, then every packet put on or taken off its link",
            description = "Line 1 is the header (\"journal\": \"vkernel-network\", its version, members, link settings, clock "
                    + "mode); each further line is a packet a member put on the link (send, with the network time and the "
                    + "packet's bytes) or one the link took off (take: delivered, or not because its member had left), in "
                    + "the link's order. With the members' own journals it is what a restart rebuilds the network from")
    ResponseEntity<String> networkJournal(@PathVariable String id) {
        Network network = NetworkController.find(networks, id);
        journal.flush();
        var header = journal.networkHeader(network.id());
        if (header.isEmpty()) {
            throw new ApiException(HttpStatus.CONFLICT, "not-journaled", "Not journaled", "network '" + id
                    + "' is not journaled (vkernel.journal.enabled is false)", null);
        }
        List<String> lines = new ArrayList<>();
        lines.add(header.get());
        lines.addAll(journal.networkEntries(network.id()));
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(JournalController.NDJSON)).body(String.join("\n", lines) + "\n");
    }
}
