package io.vkernel.script;

import io.vkernel.kernel.socket.EventPoll;

import java.util.List;
import java.util.Map;

/**
 * epoll as packetdrill writes it: {@code epoll_create(1) = 5}, {@code epoll_ctl(5, EPOLL_CTL_ADD, 4,
 * {events=EPOLLIN|EPOLLET, fd=4}) = 0} (the data is written fd=, ptr=, u32= or u64=) and {@code epoll_wait(5,
 * {events=EPOLLIN, fd=4}, 1, 0) = 1}, whose event is checked when the call reports one.
 */
final class EpollCalls {

    private static final Map<String, Integer> OPS = Map.of("EPOLL_CTL_ADD", EventPoll.CTL_ADD, "EPOLL_CTL_DEL", EventPoll.CTL_DEL,
            "EPOLL_CTL_MOD", EventPoll.CTL_MOD);
    private static final List<String> DATA_FIELDS = List.of("fd", "ptr", "u32", "u64");

    private EpollCalls() {
    }

    static Call build(String name, List<Expr> args, int line) {
        return switch (name) {
            case "epoll_create" -> {
                arity(name, args, 1, line);
                yield new Call.EpollCreate((int) number(args.get(0), "the size", line));
            }
            case "epoll_ctl" -> {
                arity(name, args, 4, line);
                int epfd = (int) number(args.get(0), "the epoll fd", line);
                if (!(args.get(1) instanceof Expr.Word op) || !OPS.containsKey(op.name())) {
                    throw new ScriptException(line, "epoll_ctl's op is EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL, got '" + args.get(1) + "'");
                }
                int fd = (int) number(args.get(2), "the fd", line);
                int events = 0;
                long data = 0;
                if (args.get(3) instanceof Expr.Struct event) {
                    checkFields(event, line);
                    events = events(event.get("events"), line);
                    data = data(event, line);
                } else if (!(args.get(3) instanceof Expr.Ellipsis) && !(args.get(3) instanceof Expr.Num n && n.value() == 0)) {
                    throw new ScriptException(line, "epoll_ctl's event is {events=EPOLLIN|..., fd=N}");
                }
                yield new Call.EpollCtl(epfd, OPS.get(op.name()), fd, events, data);
            }
            case "epoll_wait" -> {
                arity(name, args, 4, line);
                int epfd = (int) number(args.get(0), "the epoll fd", line);
                Integer events = null;
                Long data = null;
                if (args.get(1) instanceof Expr.Struct event) {
                    checkFields(event, line);
                    events = events(event.get("events"), line);
                    data = event.fields().stream().anyMatch(f -> f.name() != null && DATA_FIELDS.contains(f.name())) ? data(event, line) : null;
                } else if (!(args.get(1) instanceof Expr.Ellipsis)) {
                    throw new ScriptException(line, "epoll_wait's events are {events=EPOLLIN|..., fd=N} (checked) or ...");
                }
                long max = number(args.get(2), "maxevents", line);
                long timeout = number(args.get(3), "the timeout (ms, -1 = forever)", line);
                if (max < 1 || max > 1024 || timeout < -1 || timeout > 3_600_000) {
                    throw new ScriptException(line, "maxevents is 1-1024 and the timeout -1 to 3600000 ms");
                }
                yield new Call.EpollWait(epfd, events, data, (int) max, (int) timeout);
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static void arity(String name, List<Expr> args, int n, int line) {
        if (args.size() != n) {
            throw new ScriptException(line, name + " takes " + n + " arguments, got " + args.size());
        }
    }

    private static long number(Expr expr, String what, int line) {
        if (expr instanceof Expr.Num num) {
            return num.value();
        }
        throw new ScriptException(line, what + " must be a number, got '" + expr + "'");
    }

    /** struct epoll_event has events and one data member; anything else, or a value without a name, is refused. */
    private static void checkFields(Expr.Struct event, int line) {
        for (Expr.Field field : event.fields()) {
            if (field.name() == null || !(field.name().equals("events") || DATA_FIELDS.contains(field.name()))) {
                throw new ScriptException(line, "an epoll_event is {events=EPOLLIN|..., fd=N} (or ptr=, u32=, u64=); got '"
                        + (field.name() == null ? String.valueOf(field.value()) : field.name()) + "'");
            }
        }
    }

    private static long data(Expr.Struct event, int line) {
        for (Expr.Field field : event.fields()) {
            if (field.name() != null && DATA_FIELDS.contains(field.name())) {
                return number(field.value(), "epoll_event's " + field.name(), line);
            }
        }
        return 0;
    }

    static int events(Expr expr, int line) {
        if (expr == null) {
            throw new ScriptException(line, "the epoll_event needs events=EPOLLIN|...");
        }
        if (expr instanceof Expr.Num num && num.value() >= 0 && num.value() <= 0xffffffffL) {
            return (int) num.value();
        }
        if (expr instanceof Expr.Word word && EventPoll.EVENTS.containsKey(word.name())) {
            return EventPoll.EVENTS.get(word.name());
        }
        if (expr instanceof Expr.Or or) {
            int bits = 0;
            for (Expr part : or.parts()) {
                bits |= events(part, line);
            }
            return bits;
        }
        throw new ScriptException(line, "epoll events may be 0 or " + String.join("|", EventPoll.EVENTS.keySet()) + " joined by '|'; got '"
                + expr + "'");
    }
}
