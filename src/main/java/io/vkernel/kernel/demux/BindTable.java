package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.Endpoint;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Who owns which local port (Linux's {@code bhash}). Listeners, their accepted children and TIME_WAIT sockets
 * all keep the port; {@link #conflicts} applies {@code inet_bind_conflict()}'s rule for bind() and listen().
 */
public final class BindTable {

    /** Something holding a local address and port. */
    public interface Owner {
        Endpoint localEndpoint();

        boolean reuseAddr();

        boolean listening();

        /** True for a connection that took the port with connect() or inherited it from its listener. */
        default boolean connection() {
            return false;
        }
    }

    private final Map<Integer, List<Owner>> byPort = new HashMap<>();

    public void add(Owner owner) {
        byPort.computeIfAbsent(owner.localEndpoint().port(), port -> new ArrayList<>()).add(owner);
    }

    public void remove(Owner owner) {
        List<Owner> owners = byPort.get(owner.localEndpoint().port());
        if (owners != null) {
            owners.remove(owner);
            if (owners.isEmpty()) {
                byPort.remove(owner.localEndpoint().port());
            }
        }
    }

    /** A port someone took with bind() (or a listener holds) is never handed out by connect()'s autobind. */
    public boolean explicitlyBound(int port) {
        for (Owner owner : byPort.getOrDefault(port, List.of())) {
            if (!owner.connection()) {
                return true;
            }
        }
        return false;
    }

    /**
     * inet_bind_conflict() as bind() and listen() use it ({@code relax} true): two owners of one port conflict when
     * their addresses overlap (a wildcard overlaps every address) unless both set SO_REUSEADDR and the existing one
     * is not listening. Whether the candidate itself is about to listen does not matter: listen() re-runs this check
     * (inet_csk_listen_start() calls get_port() again), so of two SO_REUSEADDR sockets on one port the first listen()
     * succeeds and the second fails.
     */
    public boolean conflicts(Owner candidate) {
        return conflicts(candidate, true);
    }

    /**
     * With {@code relax} false (inet_csk_find_open_port(), the search of bind() to port 0) SO_REUSEADDR does not
     * share a port: any overlapping owner is a conflict.
     */
    public boolean conflicts(Owner candidate, boolean relax) {
        Endpoint wanted = candidate.localEndpoint();
        for (Owner existing : byPort.getOrDefault(wanted.port(), List.of())) {
            if (existing == candidate) {
                continue;
            }
            Endpoint held = existing.localEndpoint();
            boolean overlap = held.isWildcard() || wanted.isWildcard() || held.address() == wanted.address();
            if (!overlap) {
                continue;
            }
            boolean reuse = relax && candidate.reuseAddr() && existing.reuseAddr() && !existing.listening();
            if (!reuse) {
                return true;
            }
        }
        return false;
    }

    /** A would-be owner of {@code local}: what bind() to port 0 tests each candidate port with. */
    public record Probe(Endpoint localEndpoint, boolean reuseAddr) implements Owner {
        @Override
        public boolean listening() {
            return false;
        }
    }
}
