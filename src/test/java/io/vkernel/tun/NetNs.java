package io.vkernel.tun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace a test creates and removes, so the host's TCP talks to vkernel without a packet able to leave
 * the machine. Names carry the creating JVM's pid ({@code vktun-<pid>-<n>}), so a later run removes namespaces a
 * crashed run left behind without touching a running JVM's.
 */
public final class NetNs implements AutoCloseable {

    static final String PREFIX = "vktun-";
    private static final AtomicInteger COUNT = new AtomicInteger();

    public record Result(int exit, String out, String err) {
    }

    private final String name;
    private final List<Process> background = new ArrayList<>();

    private NetNs(String name) {
        this.name = name;
    }

    /** Why the TUN interop tests cannot run here, or empty when they can. */
    public static Optional<String> unavailable() {
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return Optional.of("no /dev/net/tun on this machine");
        }
        try {
            Result id = run(10, "id", "-u");
            if (!id.out().strip().equals("0")) {
                return Optional.of("not root (uid " + id.out().strip() + "): creating a TUN device and a network namespace needs CAP_NET_ADMIN");
            }
            for (String tool : List.of("ip", "curl", "python3", "ss")) {
                if (run(10, "sh", "-c", "command -v " + tool).exit() != 0) {
                    return Optional.of(tool + " is not installed");
                }
            }
            String probe = PREFIX + "probe-" + ProcessHandle.current().pid();
            Result add = run(10, "ip", "netns", "add", probe);
            run(10, "ip", "netns", "del", probe);
            if (add.exit() != 0) {
                return Optional.of("ip netns add fails here: " + add.err().strip());
            }
        } catch (IOException e) {
            return Optional.of("cannot run the host's tools: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Removes namespaces with our prefix whose creating JVM is gone, then creates a fresh one. */
    public static NetNs create() throws IOException {
        for (String line : run(10, "ip", "netns", "list").out().split("\n")) {
            String ns = line.split(" ")[0].strip();
            if (ns.startsWith(PREFIX)) {
                String[] parts = ns.substring(PREFIX.length()).split("-");
                boolean alive = parts.length > 0 && parts[0].chars().allMatch(Character::isDigit) && !parts[0].isEmpty()
                        && ProcessHandle.of(Long.parseLong(parts[0])).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    remove(ns);
                }
            }
        }
        String name = PREFIX + ProcessHandle.current().pid() + "-" + COUNT.incrementAndGet();
        Result add = run(10, "ip", "netns", "add", name);
        if (add.exit() != 0) {
            throw new IOException("ip netns add " + name + ": " + add.err());
        }
        return new NetNs(name);
    }

    private static void remove(String ns) throws IOException {
        String pids = run(10, "ip", "netns", "pids", ns).out().strip();
        for (String pid : pids.split("\\s+")) {
            if (!pid.isEmpty()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        run(10, "ip", "netns", "del", ns);
    }

    public String name() {
        return name;
    }

    /** Moves a device into the namespace (its open descriptor keeps working), then gives it an address and brings it up. */
    public void adopt(String device, String cidr) throws IOException {
        must(run(10, "ip", "link", "set", device, "netns", name));
        must(exec(10, "ip", "addr", "add", cidr, "dev", device));
        must(exec(10, "ip", "link", "set", device, "up"));
        must(exec(10, "ip", "link", "set", "lo", "up"));
    }

    /** Runs a command inside the namespace, waiting at most {@code seconds}. */
    public Result exec(int seconds, String... command) throws IOException {
        return run(seconds, inside(command));
    }

    /** Starts a command inside the namespace; it is killed when the namespace is removed. */
    public Process start(String... command) throws IOException {
        Process process = new ProcessBuilder(inside(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        background.add(process);
        return process;
    }

    /** Starts a command inside the namespace with its output (stdout and stderr together) readable from the process. */
    public Process start(List<String> command, boolean output) throws IOException {
        Process process = new ProcessBuilder(inside(command.toArray(String[]::new))).redirectErrorStream(true).start();
        background.add(process);
        return process;
    }

    private String[] inside(String... command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = name;
        System.arraycopy(command, 0, full, 4, command.length);
        return full;
    }

    static Result must(Result result) throws IOException {
        if (result.exit() != 0) {
            throw new IOException("exit " + result.exit() + ": " + result.err() + result.out());
        }
        return result;
    }

    static Result run(int seconds, String... command) throws IOException {
        Path out = Files.createTempFile("vktun", ".out");
        Path err = Files.createTempFile("vktun", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in " + seconds + " s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A device name no other run uses at the same time (at most 15 characters). */
    static String deviceName() {
        return "vkt" + (ProcessHandle.current().pid() % 100_000) + "x" + COUNT.incrementAndGet();
    }

    @Override
    public void close() throws IOException {
        background.forEach(Process::destroyForcibly);
        remove(name);
    }
}
