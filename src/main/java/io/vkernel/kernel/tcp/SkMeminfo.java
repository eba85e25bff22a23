package io.vkernel.kernel.tcp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * getsockopt(SO_MEMINFO)'s receive-side entries (sk_get_meminfo(), include/uapi/linux/sock_diag.h), under the
 * names the kernel selftests' %{ }% blocks use: SK_MEMINFO_RMEM_ALLOC is the truesize charged for queued skbs
 * (sk_rmem_alloc), SK_MEMINFO_RCVBUF the buffer it is charged against (sk_rcvbuf, grown by autotuning).
 */
public final class SkMeminfo {

    public static final List<String> FIELDS = List.of("SK_MEMINFO_RMEM_ALLOC", "SK_MEMINFO_RCVBUF");

    private SkMeminfo() {
    }

    public static Map<String, Long> of(Tcb tcb) {
        Map<String, Long> info = new LinkedHashMap<>();
        info.put("SK_MEMINFO_RMEM_ALLOC", (long) RcvSpace.rmemAlloc(tcb));
        info.put("SK_MEMINFO_RCVBUF", (long) tcb.rcvBufLimit);
        return info;
    }
}
