package io.vkernel.api;

import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Packet injections and system calls as a terminal reads them ({@code Accept: text/plain} or {@code ?format=text}):
 * each packet as one tcpdump line marked as packetdrill marks them — {@code <} for a packet coming in,
 * {@code >} for one the kernel sends — the seed's steps one per line under the packet that took them, and a
 * system call as strace prints it. Registered after the JSON converter, so JSON stays the default.
 */
final class TerminalText extends AbstractHttpMessageConverter<Object> {

    TerminalText() {
        super(StandardCharsets.UTF_8, MediaType.TEXT_PLAIN);
    }

    @Override
    protected boolean supports(Class<?> clazz) {
        return clazz == Views.InjectResponse.class || clazz == Views.SyscallView.class;
    }

    @Override
    protected boolean canRead(MediaType mediaType) {
        return false;
    }

    @Override
    protected Object readInternal(Class<?> clazz, HttpInputMessage input) {
        throw new HttpMessageNotReadableException("text is an output format only", input);
    }

    @Override
    protected void writeInternal(Object body, HttpOutputMessage output) throws IOException {
        String text = body instanceof Views.InjectResponse inject ? injection(inject) : syscall((Views.SyscallView) body);
        output.getBody().write(text.getBytes(StandardCharsets.UTF_8));
    }

    static String injection(Views.InjectResponse response) {
        StringBuilder out = new StringBuilder();
        for (Views.PacketResult result : response.results()) {
            if (result.packet() != null) {
                out.append("< ").append(TcpdumpText.line(result.packet())).append('\n');
            }
            int width = result.steps().stream().mapToInt(s -> s.step().length()).max().orElse(0);
            for (var step : result.steps()) {
                out.append("    ").append(String.format("%-" + width + "s", step.step())).append("  ").append(step.detail()).append('\n');
            }
            sent(out, result.sent());
            out.append("    = ").append(result.verdict());
            if (result.drop() != null) {
                out.append(" (").append(result.drop()).append(')');
            }
            if (result.connection() != null) {
                out.append(", ").append(result.connection());
            }
            if (result.state() != null) {
                out.append(' ').append(result.state());
            }
            if (result.woke() != null) {
                out.append(", woke ").append(String.join("; ", result.woke()));
            }
            out.append('\n');
        }
        return out.toString();
    }

    static String syscall(Views.SyscallView view) {
        StringBuilder out = new StringBuilder(view.strace() == null ? "" : view.strace()).append('\n');
        if (view.pending() != null) {
            out.append("    sleeping in ").append(view.pending().waitChannel()).append("; GET ").append(view.pending().href())
                    .append(" for its result\n");
        }
        sent(out, view.sent());
        return out.toString();
    }

    private static void sent(StringBuilder out, List<Views.PacketView> sent) {
        if (sent != null) {
            for (Views.PacketView packet : sent) {
                out.append("> ").append(TcpdumpText.line(packet)).append('\n');
            }
        }
    }
}
