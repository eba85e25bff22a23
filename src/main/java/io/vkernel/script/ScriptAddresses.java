package io.vkernel.script;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;

/**
 * The addresses of one run, as packetdrill's command-line options set them: {@code --local_ip} is the kernel under
 * test's address (what {@code bind(fd, ..., ...)} binds and what inbound packets are sent to), {@code --remote_ip} the
 * script's side (the source of inbound packets, where {@code connect(fd, ..., ...)} goes). packetdrill's defaults are
 * {@link Harness#LOCAL_IP} and {@link Harness#REMOTE_IP}. {@code --gateway_ip} and {@code --netmask_ip} configure
 * packetdrill's tun device and route; vkernel has no route to the remote side to configure, so they are checked and
 * noted only.
 */
public record ScriptAddresses(int local, int remote) {

    public static final ScriptAddresses DEFAULT = new ScriptAddresses(Ipv4.parse(Harness.LOCAL_IP), Ipv4.parse(Harness.REMOTE_IP));

    /** The option names this record understands. */
    static boolean isAddressOption(String name) {
        return name.equals("local_ip") || name.equals("remote_ip") || name.equals("gateway_ip") || name.equals("netmask_ip");
    }

    /**
     * These addresses with one {@code --name=value} option applied ({@code value} may be quoted, as the 2013 suite
     * writes {@code --remote_ip="192.0.2.2"}); an IPv6 or malformed address is refused with its line.
     */
    ScriptAddresses with(String name, String value, int line) {
        String text = value.strip();
        if (text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
            text = text.substring(1, text.length() - 1);
        }
        int address;
        try {
            address = Ipv4.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ScriptException(line, "--" + name + " takes an IPv4 address such as "
                    + (name.equals("remote_ip") ? Harness.REMOTE_IP : Harness.LOCAL_IP) + " (vkernel runs IPv4 only): "
                    + e.getMessage());
        }
        if (!name.equals("local_ip") && !name.equals("remote_ip")) {
            return this;
        }
        if (!Ipv4.isValidPeer(address) || Ipv4.isLoopback(address)) {
            throw new ScriptException(line, "--" + name + "=" + text + " is not a host address a TCP peer can have "
                    + "(not 0.x, 127.x, multicast or broadcast)");
        }
        ScriptAddresses next = name.equals("local_ip") ? new ScriptAddresses(address, remote) : new ScriptAddresses(local, address);
        if (next.local == next.remote) {
            throw new ScriptException(line, "--local_ip and --remote_ip must differ: both are " + text);
        }
        return next;
    }

    /** Where {@code bind(fd, ..., ...)} binds: the local address, port 8080. */
    Endpoint bindAddress() {
        return new Endpoint(local, Harness.LOCAL_PORT);
    }

    /** Where {@code connect(fd, ..., ...)} goes: the remote address, port 8080. */
    Endpoint connectAddress() {
        return new Endpoint(remote, Harness.CONNECT_PORT);
    }

    String localText() {
        return Ipv4.format(local);
    }

    String remoteText() {
        return Ipv4.format(remote);
    }
}
