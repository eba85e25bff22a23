package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.KernelMemory;
import io.vkernel.kernel.MemoryAccount;
import io.vkernel.kernel.Sysctls;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The memory view: the seed's model and Linux's charges side by side, with the sentence that reconciles them. */
final class MemoryViews {

    private MemoryViews() {
    }

    record SeedModel(int socket, int tcb, int receiveBuffer, int sendBuffer, int perConnection, String note) {
    }

    record LinuxModel(Map<String, Integer> slabObjects, int skbOverheadPerSegment, long tcpRmemDefault, long tcpWmemDefault,
                      String note) {
    }

    record Totals(int connections, int listeners, int otherSockets, long seedBytes, long linuxBytes, long linuxTcpMemPages,
                  long vkernelBytes, long hashTableBytes, String seedOverLinux) {
    }

    /** One budget: its limit, what is charged against it, and the share used. */
    record BudgetUse(long limitBytes, long usedBytes, double usedPercent, String setting) {
        static BudgetUse of(long limit, long used, String setting) {
            return new BudgetUse(limit, used, Math.round(1000.0 * used / limit) / 10.0, setting);
        }
    }

    /**
     * The JVM heap this kernel retains (vkernel's own objects, not Linux's), part by part, charged against the
     * kernel's budget and the service-wide one. A request that would pass either is refused with 507.
     */
    record Budget(BudgetUse kernel, BudgetUse service, KernelMemory.Retained retained, long wireLogLimitBytes,
                  long eventLogLimitBytes, String note) {
    }

    record MemoryView(String explanation, SeedModel seedModel, LinuxModel linuxModel, Totals totals,
                      List<MemoryAccount.Connection> connections, List<MemoryAccount.SocketCost> sockets, boolean truncated,
                      Budget budget) {
    }

    static Budget budget(Kernel kernel) {
        KernelMemory.Retained retained = kernel.retained();
        KernelBudget limits = kernel.budget();
        return new Budget(BudgetUse.of(limits.limitBytes(), retained.total(), "vkernel.budget.kernel-bytes"),
                BudgetUse.of(limits.service().limitBytes(), limits.service().usedBytes(), "vkernel.budget.service-bytes"),
                retained, kernel.nic().capacityBytes(), limits.eventLogBytes(),
                "estimated heap of vkernel's own objects; the wire log and the event log forget their oldest entries past their "
                        + "limits, anything else that would pass a budget is refused with 507 before it changes the kernel");
    }

    static MemoryView of(Kernel kernel, int limit) {
        MemoryAccount.Report report = MemoryAccount.of(kernel, limit);
        MemoryAccount.Totals t = report.totals();
        long rmem = kernel.sysctls().get(Sysctls.TCP_RMEM_DEFAULT);
        long wmem = kernel.sysctls().get(Sysctls.TCP_WMEM_DEFAULT);
        Map<String, Integer> slabs = new LinkedHashMap<>();
        slabs.put("TCP (struct tcp_sock)", MemoryAccount.TCP_SOCK);
        slabs.put("sock_inode_cache (struct socket + inode)", MemoryAccount.SOCKET_INODE);
        slabs.put("filp (struct file)", MemoryAccount.FILE);
        slabs.put("dentry", MemoryAccount.DENTRY);
        slabs.put("tw_sock_TCP (TIME_WAIT, orphaned FIN_WAIT2)", MemoryAccount.TIMEWAIT_SOCK);
        slabs.put("request_sock_TCP (SYN_RECV)", MemoryAccount.REQUEST_SOCK);
        SeedModel seed = new SeedModel(MemoryAccount.SEED_SOCKET, MemoryAccount.SEED_TCB, MemoryAccount.SEED_BUFFER,
                MemoryAccount.SEED_BUFFER, MemoryAccount.SEED_PER_CONNECTION,
                "the seed's ~131 KB for every open connection (0 once the application closed it: the seed frees everything at close()); "
                        + "1 KB for a listener or any other socket");
        LinuxModel linux = new LinuxModel(slabs, MemoryAccount.SKB_OVERHEAD, rmem, wmem,
                "slab sizes from Linux 6.18 on x86_64 (they vary with the kernel's configuration); queued bytes are charged by skb "
                        + "truesize, estimated as payload + " + MemoryAccount.SKB_OVERHEAD + " B per full-size segment because vkernel "
                        + "keeps bytes, not segment boundaries (small segments cost more); tcp_rmem/tcp_wmem are the limits on that "
                        + "charge, shown per connection as rcvbufLimit/sndbufLimit");
        String ratio = t.linuxBytes() == 0 ? null : String.format(Locale.ROOT, "%.1fx", (double) t.seedBytes() / t.linuxBytes());
        Totals totals = new Totals(t.connections(), t.listeners(), t.otherSockets(), t.seedBytes(), t.linuxBytes(),
                t.linuxTcpMemPages(), t.vkernelBytes(), t.hashTableBytes(), ratio);
        return new MemoryView(explanation(t, rmem, wmem), seed, linux, totals, report.connections(), report.sockets(),
                report.connections().size() < t.connections(), budget(kernel));
    }

    private static String explanation(MemoryAccount.Totals t, long rmem, long wmem) {
        return String.format(Locale.ROOT, "The seed counts a 1 KB socket + 2 KB TCB + 64 KB receive + 64 KB send buffer = 131 KB for every "
                        + "connection, so %d %s would be %s. Linux allocates no buffer up front: tcp_rmem (%d) and tcp_wmem "
                        + "(%d) are limits on what a socket may have charged, and each queued segment is charged by its skb truesize "
                        + "(payload + ~%d B). An idle connection with an FD costs ~3.5 KB of slab (tcp_sock %d + socket/inode %d + "
                        + "file %d + dentry %d) and 0 pages of tcp_mem; TIME_WAIT ~%d B; a SYN_RECV request ~%d B. For this kernel "
                        + "Linux would charge %s (%d %s of tcp_mem) against the seed's %s; vkernel itself holds %s of queued bytes. "
                        + "The fixed established hash table adds %s (8 B per bucket) either way.",
                t.connections(), t.connections() == 1 ? "connection" : "connections",
                human(t.connections() * (long) MemoryAccount.SEED_PER_CONNECTION), rmem, wmem,
                MemoryAccount.SKB_OVERHEAD, MemoryAccount.TCP_SOCK, MemoryAccount.SOCKET_INODE, MemoryAccount.FILE,
                MemoryAccount.DENTRY, MemoryAccount.TIMEWAIT_SOCK, MemoryAccount.REQUEST_SOCK, human(t.linuxBytes()),
                t.linuxTcpMemPages(), t.linuxTcpMemPages() == 1 ? "page" : "pages", human(t.seedBytes()), human(t.vkernelBytes()), human(t.hashTableBytes()));
    }

    /** Bytes as a person reads them: 393 KB, 10.5 KB, 812 B (1 KB = 1024 B, as the seed counts). */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return trim(bytes / 1024.0) + " KB";
        }
        if (bytes < 1024L * 1024 * 1024) {
            return trim(bytes / (1024.0 * 1024)) + " MB";
        }
        return trim(bytes / (1024.0 * 1024 * 1024)) + " GB";
    }

    private static String trim(double value) {
        String text = String.format(Locale.ROOT, "%.1f", value);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }

    /** A side-by-side table: one line per connection and socket, then the totals and the explanation. */
    static String text(MemoryView view) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-44s %-12s %12s %12s %12s  %s%n",
                "Connection or socket", "State", "Seed model", "Linux", "vkernel", "Linux holds"));
        for (MemoryAccount.Connection c : view.connections()) {
            out.append(String.format(Locale.ROOT, "%-44s %-12s %12d %12d %12d  %s%n", c.tuple(), c.state(), c.seedBytes(),
                    c.linux().bytes(), c.vkernelBytes(), objects(c.linux())));
        }
        for (MemoryAccount.SocketCost s : view.sockets()) {
            out.append(String.format(Locale.ROOT, "%-44s %-12s %12d %12d %12d  %s%n", truncate(s.what(), 44), "-", s.seedBytes(),
                    s.linux().bytes(), 0, objects(s.linux())));
        }
        Totals t = view.totals();
        out.append(String.format(Locale.ROOT, "%-44s %-12s %12d %12d %12d%n", "Total", "", t.seedBytes(), t.linuxBytes(), t.vkernelBytes()));
        if (view.truncated()) {
            out.append("(only the first ").append(view.connections().size()).append(" of ").append(t.connections())
                    .append(" connections are listed; the total counts them all)\n");
        }
        return out.append('\n').append(view.explanation()).append('\n').toString();
    }

    private static String objects(MemoryAccount.Linux linux) {
        StringBuilder out = new StringBuilder();
        for (MemoryAccount.Item item : linux.objects()) {
            out.append(out.length() == 0 ? "" : " + ").append(item.what().replaceAll(" \\(.*\\)", "")).append(' ').append(item.bytes());
        }
        if (linux.receiveCharged() > 0) {
            out.append(" + rx ").append(linux.receiveCharged());
        }
        if (linux.sendCharged() > 0) {
            out.append(" + tx ").append(linux.sendCharged());
        }
        return out.toString();
    }

    private static String truncate(String text, int max) {
        return text.length() > max ? text.substring(0, max - 3) + "..." : text;
    }
}
