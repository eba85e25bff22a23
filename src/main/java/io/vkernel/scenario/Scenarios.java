package io.vkernel.scenario;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.KernelRegistry;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The seed's walk-throughs as runnable scenarios. {@link #run} plays one on a fresh kernel from the sandbox
 * registry (seeded, so every run shows the same ISNs and hash buckets) and leaves the kernel there for the learner
 * to explore; a full registry refuses with the registry's own limit exception.
 */
public final class Scenarios {

    /** The kernel seed every run uses: same inputs, same seed, same numbers in the narration. */
    public static final long SEED = 1;

    private record Entry(ScenarioInfo info, Consumer<Stage> script) {
    }

    private static final List<Entry> CATALOG = List.of(
            new Entry(new ScenarioInfo("big-picture", "The big picture: a request arrives and a blocked read() wakes",
                    "The Big Picture; Request Arrival and Routing (steps 1-6, Complete Flow Diagram)",
                    "Client A connects to the server on 10.0.0.50:8080 and the server blocks in read() on the accepted FD. "
                            + "A 245-byte HTTP request then takes the seed's six steps: NIC receive, IP validation, 4-tuple, "
                            + "hash-table lookup (the real jhash value and bucket), the receive buffer and ACK, and the "
                            + "wake-up of the sleeping thread, whose read() returns 245. Shows that the FD plays no part in "
                            + "routing, that Linux gives FD 4 where the seed draws 7, and that buffers are charged for the "
                            + "bytes queued, not 131 KB."),
                    Walkthroughs::bigPicture),
            new Entry(new ScenarioInfo("fd-timeline", "FD assignment timeline, t=0 to t=6",
                    "File Descriptor Assignment: Server-Side FD Assignment Timeline",
                    "The seed's timeline step by step: the listener at FD 3 and a blocked accept() (t=0), Client A's "
                            + "handshake waking it with a new FD (t=1), Client B (t=2), data routed by 4-tuple to each "
                            + "connection's buffer (t=3, t=4), Client A's close freeing its FD (t=5) and Client C getting the "
                            + "same number (t=6). Linux hands out 4, 5 and then 4 again where the seed draws 7, 8 and 7."),
                    Walkthroughs::fdTimeline),
            new Entry(new ScenarioInfo("scenario-1-same-client", "Scenario 1: three connections from one client",
                    "Example Scenarios: Scenario 1: Multiple Connections from Same Client",
                    "192.168.1.100 connects from ports 54321, 54322 and 54323: three 4-tuples, three hash entries, three "
                            + "FDs (4, 5, 6 on Linux). A packet from port 54322 is routed to its own connection only. The "
                            + "narration compares the real keyed jhash buckets with the seed's XOR hash, which would put all "
                            + "three in one bucket."),
                    SeedScenarios::sameClient),
            new Entry(new ScenarioInfo("scenario-2-fd-reuse", "Scenario 2: FD reuse after close",
                    "Example Scenarios: Scenario 2: Connection Reuse After Close",
                    "The server closes Client A's connection first: the FD is freed at once and Client B gets the same "
                            + "number a second later, while the old connection waits in TIME_WAIT and keeps Client A's "
                            + "4-tuple in the hash table for 60 s. The seed says the entry is removed at close; Linux removes "
                            + "it when TIME_WAIT ends."),
                    SeedScenarios::fdReuse),
            new Entry(new ScenarioInfo("scenario-3-packet-after-close", "Scenario 3: a packet after close gets RST",
                    "Example Scenarios: Scenario 3: Packet Arrives After Close",
                    "The server closes; Client A, not having seen the FIN, sends more data and gets a RST. On Linux the "
                            + "lookup still finds the orphaned FIN_WAIT1 connection and resets it because its data can never "
                            + "be read; a delayed duplicate afterwards finds nothing and is reset by the listener, the "
                            + "seed's 'lookup = NULL' case."),
                    SeedScenarios::packetAfterClose),
            new Entry(new ScenarioInfo("scenario-4-simultaneous-close", "Scenario 4: simultaneous close",
                    "Example Scenarios: Scenario 4: Simultaneous Close",
                    "Both ends close at once and their FINs cross: FIN_WAIT1, CLOSING, then TIME_WAIT on both sides for "
                            + "60 s, during which an old SYN for the same 4-tuple is answered with an ACK, not a new "
                            + "connection. Both sides reach TIME_WAIT only because the close was simultaneous."),
                    SeedScenarios::simultaneousClose),
            new Entry(new ScenarioInfo("rst-on-timeout", "RST due to timeout, as Linux does it",
                    "Connection Termination and Cleanup: Forced Termination: RST (Example: RST due to timeout)",
                    "The seed's timeline with Linux's outcome: a read() with a 30 s SO_RCVTIMEO fails with EAGAIN, not "
                            + "ETIMEDOUT; the connection stays ESTABLISHED; close() with nothing unread sends FIN, not RST, and "
                            + "the connection ends in TIME_WAIT, not CLOSED. A second client whose request is never read "
                            + "shows when close() does send RST: unread data discarded."),
                    TimeoutAndLimit::rstOnTimeout),
            new Entry(new ScenarioInfo("fd-limit", "The FD limit: connection 1021 and EMFILE",
                    "Performance Implications: FD Limit Impact",
                    "With RLIMIT_NOFILE 1024, 1020 connections take FDs 4 to 1023. The 1021st client completes its "
                            + "handshake anyway; accept() fails with EMFILE (Too many open files) while the connection stays "
                            + "queued and even receives data; when an FD is freed, accept() hands it that number."),
                    TimeoutAndLimit::fdLimit),
            new Entry(new ScenarioInfo("misconception-1-fd-routes-packets", "Misconception 1: \"the FD is used to route packets\"",
                    "Common Misconceptions: Misconception #1: \"FD is used to route packets\"",
                    "Data reaches a connection that has no FD yet (it waits in the accept queue) and is read after accept(); "
                            + "with dup() one socket has two FDs and a packet is delivered to the socket, not to an FD. The "
                            + "kernel routes by 4-tuple through the hash table."),
                    Misconceptions::fdRoutesPackets),
            new Entry(new ScenarioInfo("misconception-2-same-client-same-fd", "Misconception 2: \"same client = same FD\"",
                    "Common Misconceptions: Misconception #2: \"Same client = same FD\"",
                    "One client opens three connections and holds three FDs; when one closes, another client gets its FD "
                            + "number, and the first client reconnecting from the same port gets yet another FD."),
                    Misconceptions::sameClientSameFd),
            new Entry(new ScenarioInfo("misconception-3-close-is-instantaneous", "Misconception 3: \"close is instantaneous\"",
                    "Common Misconceptions: Misconception #3: \"Close is instantaneous\"",
                    "close() returns at once and frees the FD, but the connection lives on without it: FIN_WAIT1, "
                            + "FIN_WAIT2, then 60 s of TIME_WAIT, 64 s in all here; and an orphaned FIN_WAIT2 whose peer never "
                            + "closes is dropped only after tcp_fin_timeout (60 s)."),
                    Misconceptions::closeIsInstantaneous),
            new Entry(new ScenarioInfo("misconception-4-fd-identifies-client", "Misconception 4: \"the FD identifies the client\"",
                    "Common Misconceptions: Misconception #4: \"FD identifies the client\"",
                    "FD 4 names 192.168.1.100:54321's connection, then, after close, 192.168.1.150:55555's; the same client "
                            + "from another port gets another FD; dup() gives one connection two FDs. The 4-tuple identifies "
                            + "the connection, the FD is a per-process handle."),
                    Misconceptions::fdIdentifiesClient));

    private final KernelRegistry registry;

    public Scenarios(KernelRegistry registry) {
        this.registry = registry;
    }

    public List<ScenarioInfo> list() {
        return CATALOG.stream().map(Entry::info).toList();
    }

    public List<String> ids() {
        return CATALOG.stream().map(entry -> entry.info().id()).toList();
    }

    public Optional<ScenarioInfo> find(String id) {
        return entry(id).map(Entry::info);
    }

    /** Plays scenario {@code id} on a new kernel with a registry-chosen id and {@link #SEED}. */
    public ScenarioRun run(String id) {
        return run(id, null, null);
    }

    /**
     * Plays scenario {@code id} on a new kernel named {@code kernelId} (null: the registry picks one) seeded with
     * {@code seed} (null: {@link #SEED}) and returns every step. Throws {@link UnknownScenarioException} for an
     * unknown id, and what {@link KernelRegistry#create} throws when the kernel cannot be created: the limit
     * exception when the sandbox is full, {@link IllegalArgumentException} for a bad id, {@link IllegalStateException}
     * when the id is taken. A script that fails half-way throws {@link ScenarioFailedException}, its kernel removed.
     */
    public ScenarioRun run(String id, String kernelId, Long seed) {
        Entry entry = entry(id).orElseThrow(() -> new UnknownScenarioException(id, ids()));
        long kernelSeed = seed != null ? seed : SEED;
        Kernel kernel = registry.create(kernelId, null, kernelSeed, null, null);
        try {
            // the whole run holds the kernel's lock, so a request naming this kernel waits until the story is told
            return kernel.inspect(k -> {
                Stage stage = new Stage(k);
                entry.script().accept(stage);
                ScenarioInfo info = entry.info();
                return new ScenarioRun(info.id(), info.title(), info.seedSection(), k.id(), kernelSeed, stage.pid(), stage.steps());
            });
        } catch (RuntimeException e) {
            registry.delete(kernel.id()); // a half-played kernel would only mislead
            throw new ScenarioFailedException(id, e);
        }
    }

    private static Optional<Entry> entry(String id) {
        return CATALOG.stream().filter(entry -> entry.info().id().equals(id)).findFirst();
    }
}
