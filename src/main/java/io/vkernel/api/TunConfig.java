package io.vkernel.api;

import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import io.vkernel.tun.TunAttachments;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A TUN device for one kernel, from configuration only (vkernel.tun.*); off unless vkernel.tun.device is set. */
@Configuration
class TunConfig {

    @Bean(destroyMethod = "close")
    TunAttachments tunAttachments(@Value("${vkernel.tun.device:}") String device,
                                  @Value("${vkernel.tun.kernel:default}") String kernel,
                                  @Value("${vkernel.tun.address:}") String address,
                                  KernelRegistry registry, RealtimeClocks clocks) {
        return TunAttachments.start(new TunAttachments.Settings(device, kernel, address), registry, clocks);
    }
}
