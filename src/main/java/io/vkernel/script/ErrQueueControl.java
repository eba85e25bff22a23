package io.vkernel.script;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.ErrorQueue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * recvmsg(MSG_ERRQUEUE)'s control messages as packetdrill writes them: {@code msg_control=[{cmsg_level=CMSG_LEVEL_IP,
 * cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0,
 * ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_info=0, ee_data=1}}]}. The struct sock_extended_err fields written are
 * checked against the one the kernel dequeued; {@code msg_control=[]} expects no control message.
 */
final class ErrQueueControl {

    /**
     * The sock_extended_err fields the script expects, by name (only those it wrote), and the SCM_TIMESTAMPING
     * software time in nanoseconds when it wrote one (else null).
     */
    record Expected(Map<String, Long> fields, Long timestampNs) {

        /** What differs from the notification received, or null when it matches; times within {@code toleranceUs}. */
        String mismatch(ErrorQueue.ExtendedErr actual, long toleranceUs) {
            if (actual == null) {
                return fields.isEmpty() && timestampNs == null ? null : "expected an IP_RECVERR control message but there was none";
            }
            if (timestampNs != null && (actual.timestampNs() < 0 || Math.abs(actual.timestampNs() - timestampNs) > toleranceUs * 1000)) {
                return "expected the SCM_TIMESTAMPING time " + timestampNs / 1_000_000_000 + " s " + timestampNs % 1_000_000_000
                        + " ns (tolerance " + toleranceUs + " us) but it was " + (actual.timestampNs() < 0 ? "absent"
                        : actual.timestampNs() / 1_000_000_000 + " s " + actual.timestampNs() % 1_000_000_000 + " ns");
            }
            Map<String, Long> got = Map.of("ee_errno", (long) actual.eeErrno(), "ee_origin", (long) actual.origin(),
                    "ee_type", (long) actual.type(), "ee_code", (long) actual.code(), "ee_info", actual.info(), "ee_data", actual.data());
            StringBuilder diff = new StringBuilder();
            fields.forEach((name, value) -> {
                if (!value.equals(got.get(name))) {
                    diff.append(diff.length() > 0 ? ", " : "").append(name).append(" ").append(value).append(" but it was ").append(got.get(name));
                }
            });
            return diff.length() == 0 ? null : "expected the IP_RECVERR control message to carry " + diff;
        }
    }

    private static final Map<String, Long> SYMBOLS = Map.of(
            "SO_EE_ORIGIN_NONE", 0L, "SO_EE_ORIGIN_LOCAL", 1L, "SO_EE_ORIGIN_ICMP", 2L, "SO_EE_ORIGIN_ICMP6", 3L,
            "SO_EE_ORIGIN_TIMESTAMPING", 4L, "SO_EE_ORIGIN_ZEROCOPY", (long) ErrorQueue.SO_EE_ORIGIN_ZEROCOPY,
            "SO_EE_CODE_ZEROCOPY_COPIED", (long) ErrorQueue.SO_EE_CODE_ZEROCOPY_COPIED,
            "SCM_TSTAMP_SND", 0L, "SCM_TSTAMP_SCHED", 1L, "SCM_TSTAMP_ACK", 2L);
    private static final List<String> EE_FIELDS = List.of("ee_errno", "ee_origin", "ee_type", "ee_code", "ee_info", "ee_data");

    private ErrQueueControl() {
    }

    /** True when the control list is the error queue's (IP_RECVERR), so this class reads it. */
    static boolean isErrQueue(Expr control) {
        if (control instanceof Expr.ListOf list && list.items().isEmpty()) {
            return true;
        }
        return control instanceof Expr.ListOf list && list.items().stream().anyMatch(item -> item instanceof Expr.Struct cmsg
                && cmsg.get("cmsg_type") instanceof Expr.Word type
                && (type.name().equals("CMSG_TYPE_RECVERR") || type.name().equals("IP_RECVERR")));
    }

    static Expected parse(Expr control, int line) {
        Map<String, Long> fields = new LinkedHashMap<>();
        Long timestampNs = null;
        for (Expr item : ((Expr.ListOf) control).items()) {
            if (!(item instanceof Expr.Struct cmsg) || !(cmsg.get("cmsg_level") instanceof Expr.Word level)
                    || !(cmsg.get("cmsg_type") instanceof Expr.Word type)) {
                throw new ScriptException(line, "each control message is {cmsg_level=..., cmsg_type=..., cmsg_data=...}, got '" + item + "'");
            }
            if (level.name().equals("SOL_SOCKET") && type.name().equals("SCM_TIMESTAMPING")) {
                // struct scm_timestamping's software time, ts[0]
                if (!(cmsg.get("cmsg_data") instanceof Expr.Struct ts) || !(ts.get("scm_sec") instanceof Expr.Num sec)
                        || !(ts.get("scm_nsec") instanceof Expr.Num nsec)) {
                    throw new ScriptException(line, "SCM_TIMESTAMPING's cmsg_data is {scm_sec=S, scm_nsec=N}");
                }
                timestampNs = sec.value() * 1_000_000_000L + nsec.value();
                continue;
            }
            boolean recverr = (level.name().equals("CMSG_LEVEL_IP") || level.name().equals("SOL_IP") || level.name().equals("IPPROTO_IP"))
                    && (type.name().equals("CMSG_TYPE_RECVERR") || type.name().equals("IP_RECVERR"));
            if (!recverr) {
                throw new ScriptException(line, "the error-queue control message vkernel models is {cmsg_level=CMSG_LEVEL_IP, "
                        + "cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=..., ...}}; got " + level.name() + "/" + type.name());
            }
            if (!(cmsg.get("cmsg_data") instanceof Expr.Struct data)) {
                throw new ScriptException(line, "IP_RECVERR's cmsg_data is {ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ...}");
            }
            for (Expr.Field field : data.fields()) {
                if (field.name() == null || !EE_FIELDS.contains(field.name())) {
                    throw new ScriptException(line, "struct sock_extended_err has " + String.join(", ", EE_FIELDS) + "; got '"
                            + (field.name() == null ? field.value() : field.name()) + "'");
                }
                if (!(field.value() instanceof Expr.Ellipsis)) {
                    fields.put(field.name(), value(field.value(), line));
                }
            }
        }
        return new Expected(fields, timestampNs);
    }

    /** SOF_TIMESTAMPING_* names (include/uapi/linux/net_tstamp.h) joined by '|', or a number. */
    static long sofFlags(Expr expr, int line) {
        if (expr instanceof Expr.Num num && num.value() >= 0) {
            return num.value();
        }
        if (expr instanceof Expr.Word word && SOF.containsKey(word.name())) {
            return SOF.get(word.name());
        }
        if (expr instanceof Expr.Or or) {
            long bits = 0;
            for (Expr part : or.parts()) {
                bits |= sofFlags(part, line);
            }
            return bits;
        }
        throw new ScriptException(line, "SO_TIMESTAMPING flags are a number or " + String.join("|", new java.util.TreeSet<>(SOF.keySet()))
                + " joined by '|'; got '" + expr + "'");
    }

    private static final Map<String, Long> SOF = Map.ofEntries(
            Map.entry("SOF_TIMESTAMPING_TX_HARDWARE", 0x1L), Map.entry("SOF_TIMESTAMPING_TX_SOFTWARE", 0x2L),
            Map.entry("SOF_TIMESTAMPING_RX_HARDWARE", 0x4L), Map.entry("SOF_TIMESTAMPING_RX_SOFTWARE", 0x8L),
            Map.entry("SOF_TIMESTAMPING_SOFTWARE", 0x10L), Map.entry("SOF_TIMESTAMPING_SYS_HARDWARE", 0x20L),
            Map.entry("SOF_TIMESTAMPING_RAW_HARDWARE", 0x40L), Map.entry("SOF_TIMESTAMPING_OPT_ID", 0x80L),
            Map.entry("SOF_TIMESTAMPING_TX_SCHED", 0x100L), Map.entry("SOF_TIMESTAMPING_TX_ACK", 0x200L),
            Map.entry("SOF_TIMESTAMPING_OPT_CMSG", 0x400L), Map.entry("SOF_TIMESTAMPING_OPT_TSONLY", 0x800L),
            Map.entry("SOF_TIMESTAMPING_OPT_STATS", 0x1000L), Map.entry("SOF_TIMESTAMPING_OPT_PKTINFO", 0x2000L),
            Map.entry("SOF_TIMESTAMPING_OPT_TX_SWHW", 0x4000L), Map.entry("SOF_TIMESTAMPING_BIND_PHC", 0x8000L),
            Map.entry("SOF_TIMESTAMPING_OPT_ID_TCP", 0x10000L), Map.entry("SOF_TIMESTAMPING_OPT_RX_FILTER", 0x20000L));

    private static long value(Expr expr, int line) {
        if (expr instanceof Expr.Num num) {
            return num.value();
        }
        if (expr instanceof Expr.Word word && SYMBOLS.containsKey(word.name())) {
            return SYMBOLS.get(word.name());
        }
        if (expr instanceof Expr.Word word && word.name().matches("E[A-Z0-9]+")) {
            try {
                return Errno.valueOf(word.name()).number();
            } catch (IllegalArgumentException e) {
                throw new ScriptException(line, "unknown errno " + word.name());
            }
        }
        throw new ScriptException(line, "a sock_extended_err field is a number or one of " + new java.util.TreeSet<>(SYMBOLS.keySet())
                + ", got '" + expr + "'");
    }
}
