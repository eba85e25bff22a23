package io.vkernel.journal;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.link.Link;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.WirePacket;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.NetworkRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Networks kept across restarts. A network is its members, its link's settings and its clock mode (the header), plus
 * what its link did: each packet a member put on it ({@code send}, with the network time) and each packet taken off
 * it ({@code take}: delivered to its member, or not because the member had left), in the order the link saw them.
 * The members are not replayed through the network: each member's own journal already holds every packet the link
 * delivered to it and every clock step the network gave it (they are its inputs, {@link io.vkernel.kernel.KernelInput}),
 * so a member replays alone to exactly where it was. Replaying the link's record into a fresh {@link Link} with the
 * same settings draws the same random numbers in the same order and so rebuilds its queue of packets in flight, its
 * capture and its counters byte for byte; {@link Network#restore} then joins the replayed members by that link.
 *
 * <p>Entries are queued on {@link KernelJournal}'s one writer, so they commit in order with the members' own entries
 * and are durable before the request that caused them is answered.
 */
final class NetworkJournal implements NetworkRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(NetworkJournal.class);
    static final String FORMAT = "vkernel-network";
    static final int VERSION = 1;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final KernelJournal journal;
    /** Per journaled network (by identity): its next entry number. */
    private final Map<Network, long[]> next = new IdentityHashMap<>();
    private final Map<Network, Boolean> realtime = new IdentityHashMap<>();

    NetworkJournal(KernelJournal journal) {
        this.journal = journal;
    }

    // ---------------------------------------------------------------- the format

    /** What a network's header says. */
    record Header(String id, List<String> members, LinkSettings link, boolean realtime) {
    }

    static String header(Network network, boolean realtime) {
        ObjectNode node = JSON.createObjectNode();
        node.put("journal", FORMAT);
        node.put("version", VERSION);
        node.put("id", network.id());
        ArrayNode members = node.putArray("members");
        network.members().forEach(member -> members.add(member.id()));
        LinkSettings s = network.link().settings();
        ObjectNode link = node.putObject("link");
        link.put("delayMs", s.delayMs());
        link.put("jitterMs", s.jitterMs());
        link.put("lossPercent", s.lossPercent());
        link.put("duplicatePercent", s.duplicatePercent());
        link.put("reorderPercent", s.reorderPercent());
        link.put("rateBytesPerSecond", s.rateBytesPerSecond());
        link.put("seed", s.seed());
        node.put("realtime", realtime);
        return JSON.writeValueAsString(node);
    }

    static Header parseHeader(String line) {
        JsonNode node = JSON.readTree(line);
        if (!FORMAT.equals(node.path("journal").asString(null))) {
            throw new JournalException(1, "not a vkernel network journal header: " + line);
        }
        if (node.path("version").asInt(0) != VERSION) {
            throw new JournalException(1, "network journal version " + node.path("version") + " is not " + VERSION);
        }
        List<String> members = new ArrayList<>();
        node.path("members").forEach(m -> members.add(m.asString()));
        JsonNode l = node.path("link");
        LinkSettings settings = new LinkSettings(l.path("delayMs").asLong(), l.path("jitterMs").asLong(),
                l.path("lossPercent").asDouble(), l.path("duplicatePercent").asDouble(), l.path("reorderPercent").asDouble(),
                l.path("rateBytesPerSecond").asLong(), l.path("seed").asLong());
        return new Header(node.path("id").asString(), members, settings, node.path("realtime").asBoolean(false));
    }

    static String sent(long seq, Segment segment, long nowMs) {
        return "{\"seq\":" + seq + ",\"op\":\"send\",\"at\":" + nowMs + ",\"bytes\":\""
                + Base64.getEncoder().encodeToString(WirePacket.encode(segment)) + "\"}";
    }

    static String taken(long seq, long order, boolean delivered) {
        return "{\"seq\":" + seq + ",\"op\":\"take\",\"order\":" + order + ",\"delivered\":" + delivered + "}";
    }

    /** Applies one entry to a link being rebuilt. */
    static void replay(Link link, int lineNo, String line) {
        JsonNode node = JSON.readTree(line);
        try {
            switch (node.path("op").asString("")) {
                case "send" -> link.send(WirePacket.parse(Base64.getDecoder().decode(node.path("bytes").asString(""))).segment(),
                        node.path("at").asLong());
                case "take" -> link.replayTake(node.path("order").asLong(), node.path("delivered").asBoolean());
                default -> throw new JournalException(lineNo, "unknown network journal op in " + line);
            }
        } catch (JournalException e) {
            throw e;
        } catch (RuntimeException | io.vkernel.kernel.wire.MalformedPacketException e) {
            throw new JournalException(lineNo, "network journal entry " + (lineNo - 1) + " failed on replay: " + e.getMessage());
        }
    }

    /** A fresh link with {@code settings}, charged to {@code budget}, replayed through {@code entries}. */
    static Link rebuildLink(LinkSettings settings, io.vkernel.kernel.MemoryBudget budget, List<String> entries) {
        Link link = new Link(settings, budget);
        for (int i = 0; i < entries.size(); i++) {
            replay(link, i + 2, entries.get(i));
        }
        return link;
    }

    // ---------------------------------------------------------------- restart

    /**
     * Rebuilds every stored network whose members were restored, registers it and journals it from then on, then
     * journals every network created later. {@code clockMode} hears of each network restored in realtime.
     */
    int restoreAndAttach(KernelRegistry kernels, NetworkRegistry networks, BiConsumer<Network, Boolean> clockMode) {
        int count = 0;
        for (Map.Entry<String, String> row : journal.storedNetworks().entrySet()) {
            String id = row.getKey();
            try {
                Header header = parseHeader(row.getValue());
                List<Kernel> members = new ArrayList<>();
                for (String member : header.members()) {
                    Optional<Kernel> kernel = kernels.find(member);
                    if (kernel.isPresent() && networks.networkOf(kernel.get()).isEmpty()) {
                        members.add(kernel.get());
                    } else {
                        log.warn("network '{}': member kernel '{}' was not restored; the network comes back without it", id, member);
                    }
                }
                if (members.isEmpty()) {
                    log.warn("network '{}': none of its members was restored; it is dropped", id);
                    journal.dropNetwork(id);
                    continue;
                }
                List<String> entries = journal.networkEntries(id);
                Link link = rebuildLink(header.link(), kernels.budget().service(), entries);
                Network network = Network.restore(id, members, link);
                networks.restore(network);
                synchronized (this) {
                    next.put(network, new long[] {entries.size() + 1L});
                    realtime.put(network, header.realtime());
                }
                attach(network);
                if (members.size() != header.members().size()) {
                    membersChanged(network);
                }
                if (header.realtime()) {
                    clockMode.accept(network, true);
                }
                count++;
            } catch (RuntimeException e) {
                // its rows stay as they are; its members come back standalone
                log.error("network '{}' was not restored from its journal: {}", id, e.getMessage());
            }
        }
        networks.onChange(this);
        return count;
    }

    private void attach(Network network) {
        long[] seq;
        synchronized (this) {
            seq = next.get(network);
        }
        String id = network.id();
        network.link().record(new Link.Recorder() {
            // called under the link's monitor: numbers and queue order are the link's own order
            @Override
            public void sent(Segment segment, long nowMs) {
                journal.appendNetwork(id, seq[0], NetworkJournal.sent(seq[0], segment, nowMs));
                seq[0]++;
            }

            @Override
            public void taken(long order, boolean delivered) {
                journal.appendNetwork(id, seq[0], NetworkJournal.taken(seq[0], order, delivered));
                seq[0]++;
            }
        });
    }

    // ---------------------------------------------------------------- changes (under the network registry's lock)

    @Override
    public void created(Network network) {
        synchronized (this) {
            next.put(network, new long[] {1});
            realtime.put(network, false);
        }
        journal.createNetwork(network.id(), header(network, false));
        attach(network);
    }

    @Override
    public void membersChanged(Network network) {
        boolean rt;
        synchronized (this) {
            if (!next.containsKey(network)) {
                return;
            }
            rt = realtime.getOrDefault(network, false);
        }
        journal.updateNetwork(network.id(), header(network, rt));
    }

    @Override
    public void clockMode(Network network, boolean on) {
        synchronized (this) {
            if (!next.containsKey(network)) {
                return;
            }
            realtime.put(network, on);
        }
        journal.updateNetwork(network.id(), header(network, on));
    }

    @Override
    public void deleted(Network network) {
        network.link().record(null);
        boolean known;
        synchronized (this) {
            known = next.remove(network) != null;
            realtime.remove(network);
        }
        if (known) {
            journal.dropNetwork(network.id());
        }
    }
}
