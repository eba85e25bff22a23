package io.vkernel.kernel.demux;

import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.wire.Endpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Listening sockets by local address and port (Linux's {@code lhash2}). A lookup tries the exact destination
 * address first and only then the wildcard 0.0.0.0, as {@code __inet_lookup_listener()} does.
 */
public final class ListenerTable {

    private final Map<Endpoint, Socket> listeners = new LinkedHashMap<>();

    public void add(Socket socket) {
        listeners.put(socket.local(), socket);
    }

    public void remove(Socket socket) {
        listeners.remove(socket.local(), socket);
    }

    public Socket find(Endpoint destination) {
        Socket exact = listeners.get(destination);
        return exact != null ? exact : listeners.get(new Endpoint(0, destination.port()));
    }

    public List<Socket> all() {
        return new ArrayList<>(listeners.values());
    }

    public boolean contains(Socket socket) {
        return listeners.get(socket.local()) == socket;
    }
}
