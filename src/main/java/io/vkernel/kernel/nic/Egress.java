package io.vkernel.kernel.nic;

import io.vkernel.kernel.wire.Segment;

/**
 * Where a segment goes after the NIC has sent it to an address that is not the kernel's own: a link to another
 * kernel, a TUN device, or (with no egress attached) nowhere but the wire log, as before.
 */
@FunctionalInterface
public interface Egress {

    /** Called under the sending kernel's lock, after the segment is in its wire log; must not block. */
    void send(Segment segment);
}
