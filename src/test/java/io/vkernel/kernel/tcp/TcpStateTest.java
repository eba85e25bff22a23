package io.vkernel.kernel.tcp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Each state as Linux numbers it (the {@code st} column of /proc/net/tcp) and as {@code ss} prints it (sstate_name[]). */
class TcpStateTest {

    @Test
    void numbersAndSsNames_areLinuxs() {
        assertThat(TcpState.values()).extracting(s -> s.linuxNumber() + " " + s.ssName()).containsExactly(
                "1 ESTAB", "2 SYN-SENT", "3 SYN-RECV", "4 FIN-WAIT-1", "5 FIN-WAIT-2", "6 TIME-WAIT", "7 UNCONN",
                "8 CLOSE-WAIT", "9 LAST-ACK", "10 LISTEN", "11 CLOSING");
    }
}
