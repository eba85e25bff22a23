package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The TCBs the hash demo (GET /hash-demo) fills its scratch tables with: ESTABLISHED, found again by their 4-tuple. */
class DetachedTcbsTest {

    @Test
    void anEstablishedDetachedTcb_isFoundByItsTuple_inAnEstablishedTable() {
        FourTuple tuple = new FourTuple(Endpoint.parse("192.168.1.7:40001"), Endpoint.parse("10.0.0.50:80"));
        Tcb tcb = DetachedTcbs.established(tuple, 0);
        assertThat(tcb.tuple()).isEqualTo(tuple);
        assertThat(tcb.state()).isEqualTo(TcpState.ESTABLISHED);
        Kernel kernel = new Kernel(KernelConfig.defaults("detached", 42));
        Tcb found = kernel.inspect(k -> {
            k.established().insert(tcb);
            return k.established().find(tuple);
        });
        assertThat(found).isSameAs(tcb);
    }
}
