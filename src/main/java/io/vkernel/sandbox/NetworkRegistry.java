package io.vkernel.sandbox;

import io.vkernel.kernel.BudgetExceededException;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.MemoryBudget;
import io.vkernel.kernel.link.Link;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The networks of kernels, by id. A kernel belongs to at most one network; deleting a kernel takes it out of its
 * network (deleting its last member deletes the network, releasing its link's charge to the service budget), and
 * deleting a network makes its members standalone again. The kernels themselves stay in the
 * {@link KernelRegistry}: a network only wires them together and owns their time.
 */
public final class NetworkRegistry {

    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    private final KernelRegistry kernels;
    private final Map<String, Network> networks = new LinkedHashMap<>();
    private final Map<Kernel, Network> byMember = new IdentityHashMap<>();
    /** Read without the registry's lock by {@link #settleAll}, after every request. */
    private volatile List<Network> snapshot = List.of();

    /**
     * Hears of every change to the set of networks, under the registry's lock and in order (the journal keeps
     * networks through these): a network made (before anything crosses its link), its members changed, its clock
     * switched, a network taken apart.
     */
    public interface Listener {
        void created(Network network);

        void membersChanged(Network network);

        void clockMode(Network network, boolean realtime);

        void deleted(Network network);
    }

    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public void onChange(Listener listener) {
        listeners.add(listener);
    }

    /** Registers a network rebuilt after a restart (its members must be in no other network). */
    public synchronized void restore(Network network) {
        if (networks.containsKey(network.id())) {
            throw new ConflictException("id", "a network with id '" + network.id() + "' already exists");
        }
        for (Kernel member : network.members()) {
            if (byMember.containsKey(member)) {
                throw new ConflictException("kernels", "kernel '" + member.id() + "' is already in network '" + byMember.get(member).id() + "'");
            }
        }
        networks.put(network.id(), network);
        network.members().forEach(kernel -> byMember.put(kernel, network));
        snapshot = List.copyOf(networks.values());
    }

    /** The network's clock was switched between manual and realtime (by whoever runs its clock). */
    public synchronized void clockModeChanged(Network network, boolean realtime) {
        if (networks.get(network.id()) == network) {
            listeners.forEach(l -> l.clockMode(network, realtime));
        }
    }

    public NetworkRegistry(KernelRegistry kernels) {
        this.kernels = kernels;
        kernels.onRemoved(this::kernelRemoved);
    }

    /** A request the registry refuses because of what already exists (409): a taken id, a busy kernel, a shared address. */
    public static final class ConflictException extends RuntimeException {
        private final String field;

        public ConflictException(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** A network names a kernel that does not exist (404). */
    public static final class UnknownKernelException extends RuntimeException {
        private final String kernel;

        public UnknownKernelException(String kernel) {
            super("no kernel '" + kernel + "'; create it first with POST /api/v1/kernels {\"id\":\"" + kernel
                    + "\",\"address\":\"10.0.0.x\"}, or GET /api/v1/kernels lists those that exist");
            this.kernel = kernel;
        }

        public String kernel() {
            return kernel;
        }
    }

    /**
     * Joins the named kernels. Throws {@link IllegalArgumentException} for a bad id or member list,
     * {@link UnknownKernelException}, or {@link ConflictException}.
     */
    public synchronized Network create(String id, List<String> kernelIds, LinkSettings settings) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id '" + id + "' must be 1-32 characters: lowercase letters, digits and '-', starting with a letter or digit");
        }
        if (networks.containsKey(id)) {
            throw new ConflictException("id", "a network with id '" + id + "' already exists; DELETE /api/v1/networks/" + id + " first");
        }
        if (kernelIds == null || kernelIds.size() < 2) {
            throw new IllegalArgumentException("kernels must name at least two kernels, e.g. [\"alice\",\"bob\"], got "
                    + (kernelIds == null ? "nothing" : kernelIds));
        }
        int most = kernels.limits().maxKernels();
        if (kernelIds.size() > most) {
            throw new IllegalArgumentException("kernels names " + kernelIds.size() + " kernels; the service runs at most " + most);
        }
        List<Kernel> members = new ArrayList<>();
        for (String kernelId : kernelIds) {
            if (kernelId == null) {
                throw new IllegalArgumentException("kernels must name kernels, got null in " + kernelIds);
            }
            Kernel kernel = kernels.find(kernelId).orElseThrow(() -> new UnknownKernelException(kernelId));
            if (members.contains(kernel)) {
                throw new IllegalArgumentException("kernels names '" + kernelId + "' twice");
            }
            Network other = byMember.get(kernel);
            if (other != null) {
                throw new ConflictException("kernels", "kernel '" + kernelId + "' is already in network '" + other.id()
                        + "'; a kernel belongs to one network at a time (DELETE /api/v1/networks/" + other.id() + " frees it)");
            }
            members.add(kernel);
        }
        MemoryBudget service = kernels.budget().service();
        if (!service.fits(Link.CAPTURE_BYTES)) {
            // the link's capture may grow to CAPTURE_BYTES, charged to the service budget as it does
            throw new BudgetExceededException(BudgetExceededException.Budget.SERVICE, "all kernels together retain "
                    + service.usedBytes() + " bytes; a network's capture may add " + Link.CAPTURE_BYTES + " more, past the "
                    + "service's budget of " + service.limitBytes() + " bytes (vkernel.budget.service-bytes). Delete kernels "
                    + "or networks that are no longer used", service.usedBytes(), Link.CAPTURE_BYTES, service.limitBytes());
        }
        Network network;
        try {
            network = new Network(id, members, settings);
        } catch (Network.DuplicateAddressException e) {
            throw new ConflictException("kernels", e.getMessage());
        }
        networks.put(id, network);
        members.forEach(kernel -> byMember.put(kernel, network));
        snapshot = List.copyOf(networks.values());
        listeners.forEach(l -> l.created(network));
        return network;
    }

    public synchronized Optional<Network> find(String id) {
        return Optional.ofNullable(networks.get(id));
    }

    public synchronized Collection<Network> all() {
        return List.copyOf(networks.values());
    }

    /** The network {@code kernel} belongs to, if any. */
    public synchronized Optional<Network> networkOf(Kernel kernel) {
        return Optional.ofNullable(byMember.get(kernel));
    }

    /** Takes a network apart; its members become standalone kernels again. */
    public synchronized boolean delete(String id) {
        Network network = networks.remove(id);
        if (network == null) {
            return false;
        }
        network.members().forEach(byMember::remove);
        network.dissolve();
        snapshot = List.copyOf(networks.values());
        listeners.forEach(l -> l.deleted(network));
        return true;
    }

    /**
     * Delivers what members sent that is due now, in every network: called after each request, once no kernel lock
     * is held, so a link without delay behaves like loopback (the handshake completes within the connect call).
     */
    public void settleAll() {
        for (Network network : snapshot) {
            network.settle();
        }
    }

    private synchronized void kernelRemoved(Kernel kernel) {
        Network network = byMember.remove(kernel);
        if (network != null) {
            network.remove(kernel);
            if (!network.members().isEmpty()) {
                listeners.forEach(l -> l.membersChanged(network));
            } else {
                // nobody can reach it any more: without this its capture (up to Link.CAPTURE_BYTES) stayed charged
                // to the service budget, and its id taken, until someone thought of DELETE /api/v1/networks/{id}
                delete(network.id());
            }
        }
    }
}
