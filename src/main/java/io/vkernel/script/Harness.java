package io.vkernel.script;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;

import java.util.Map;

/**
 * The addresses packetdrill gives a test by default, which vkernel's runner uses too: the kernel under test is
 * 192.168.0.1, its listener binds port 8080, the remote end is 192.0.2.1 (TEST-NET-1) from a port of the harness's
 * choosing, and {@code connect(fd, ..., ...)} goes to 192.0.2.1:8080.
 */
public final class Harness {

    public static final String LOCAL_IP = "192.168.0.1";
    public static final String REMOTE_IP = "192.0.2.1";
    public static final int LOCAL_PORT = 8080;
    /** The remote port of inbound connections when a packet line gives no {@code src>dst} ports. */
    public static final int REMOTE_PORT = 48_004;
    public static final int CONNECT_PORT = 8080;
    public static final long DEFAULT_SEED = 1;

    /**
     * Settings of packetdrill's environment that differ from a fresh vkernel's: its tun device offers TSO
     * (TUNSETOFFLOAD with TUN_F_TSO4, packetdrill's netdev.c), so TCP may hand it super-segments until a script
     * runs {@code ethtool -K tun0 tso off gso off}.
     */
    static final Map<String, Long> DEFAULT_SYSCTLS = Map.of(Sysctls.VKERNEL_GSO, 1L);

    static final Endpoint BIND_ADDRESS = Endpoint.of(LOCAL_IP, LOCAL_PORT);
    static final Endpoint CONNECT_ADDRESS = Endpoint.of(REMOTE_IP, CONNECT_PORT);

    private Harness() {
    }
}
