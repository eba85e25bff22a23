package io.vkernel.kernel;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@link Sysctls#get} answers is what was last set, however the name was spelled: the engine reads some
 * tunables on every segment through the constants, an HTTP client sets them by a name parsed from its request
 * (another String with the same text), and the two must agree.
 */
class SysctlsReadTest {

    private static final List<String> PER_SEGMENT = List.of(Sysctls.RX_GSO_SIZE, Sysctls.TCP_MIN_TSO_SEGS,
            Sysctls.ROUTE_MTU, Sysctls.TCP_SHRINK_WINDOW, Sysctls.TCP_RECOVERY, Sysctls.TCP_SLOW_START_AFTER_IDLE,
            Sysctls.TCP_DSACK, Sysctls.TCP_RMEM_MAX);

    private static String spelledAgain(String name) {
        return new String(name.toCharArray()); // equal text, another instance, as a parsed request gives
    }

    @Test
    void aValueSetByAParsedNameIsReadThroughTheConstantAndBack() {
        Sysctls sysctls = new Sysctls();
        for (String name : PER_SEGMENT) {
            long before = sysctls.get(name);
            assertThat(sysctls.get(spelledAgain(name))).as(name).isEqualTo(before);
            long changed = name.equals(Sysctls.ROUTE_MTU) ? 1280 : name.equals(Sysctls.TCP_RMEM_MAX) ? 8192 : before == 1 ? 0 : 1;
            sysctls.set(spelledAgain(name), changed);
            assertThat(sysctls.get(name)).as(name).isEqualTo(changed);
            assertThat(sysctls.all().get(name)).as(name).isEqualTo(changed);
            sysctls.set(name, before);
            assertThat(sysctls.get(spelledAgain(name))).as(name).isEqualTo(before);
        }
    }

    @Test
    void eachKernelKeepsItsOwnValues() {
        Sysctls one = new Sysctls();
        Sysctls two = new Sysctls();
        one.set(Sysctls.RX_GSO_SIZE, 1000);
        assertThat(one.getInt(Sysctls.RX_GSO_SIZE)).isEqualTo(1000);
        assertThat(two.getInt(Sysctls.RX_GSO_SIZE)).isZero();
    }

    @Test
    void aRejectedValueLeavesTheOldOne() {
        Sysctls sysctls = new Sysctls();
        assertThatThrownBy(() -> sysctls.set(Sysctls.TCP_MIN_TSO_SEGS, 0)).hasMessageContaining("between 1 and 255");
        assertThat(sysctls.get(Sysctls.TCP_MIN_TSO_SEGS)).isEqualTo(2);
    }
}
