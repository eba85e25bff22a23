package io.vkernel.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes each kernel's counters to Micrometer, tagged {@code kernel=<id>}: packets in and out, drops by
 * reason, connections by state and open FDs. Meters come and go with their kernels.
 */
@Component
class KernelMetrics {

    private final MeterRegistry meters;
    private final Map<Kernel, List<Meter>> registered = new ConcurrentHashMap<>();

    KernelMetrics(MeterRegistry meters, KernelRegistry registry) {
        this.meters = meters;
        registry.onCreated(this::register);
        registry.onRemoved(this::unregister);
    }

    private void register(Kernel kernel) {
        List<Meter> list = new ArrayList<>();
        String id = kernel.id();
        list.add(FunctionCounter.builder("vkernel.packets.in", kernel, k -> k.inspect(kk -> kk.nic().packetsIn()))
                .tag("kernel", id).description("packets the NIC received").register(meters));
        list.add(FunctionCounter.builder("vkernel.packets.out", kernel, k -> k.inspect(kk -> kk.nic().packetsOut()))
                .tag("kernel", id).description("packets the kernel sent").register(meters));
        for (DropReason reason : DropReason.values()) {
            list.add(FunctionCounter.builder("vkernel.packets.dropped", kernel,
                            k -> k.inspect(kk -> kk.nic().drops().getOrDefault(reason, 0L)))
                    .tag("kernel", id).tag("reason", reason.name()).description("inbound packets dropped, by reason").register(meters));
        }
        for (SnmpCounter counter : SnmpCounter.values()) {
            list.add(FunctionCounter.builder("vkernel.nstat", kernel, k -> k.inspect(kk -> kk.snmp().get(counter)))
                    .tag("kernel", id).tag("counter", counter.nstatName()).description("TCP MIB counters as nstat names them: "
                            + "TcpExtListenOverflows, TcpExtListenDrops, TcpExtTCPChallengeACK, ...").register(meters));
        }
        for (TcpState state : TcpState.values()) {
            list.add(Gauge.builder("vkernel.connections", kernel,
                            k -> k.inspect(kk -> kk.connectionsByState().getOrDefault(state.name(), 0)))
                    .tag("kernel", id).tag("state", state.name()).description("sockets by TCP state").register(meters));
        }
        list.add(Gauge.builder("vkernel.fds.open", kernel, k -> k.inspect(Kernel::openFds))
                .tag("kernel", id).description("file descriptors open across all processes").register(meters));
        registered.put(kernel, list);
    }

    private void unregister(Kernel kernel) {
        List<Meter> list = registered.remove(kernel);
        if (list != null) {
            list.forEach(meters::remove);
        }
    }
}
