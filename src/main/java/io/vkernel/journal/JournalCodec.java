package io.vkernel.journal;

import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.MalformedPacketException;
import io.vkernel.kernel.wire.WirePacket;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A kernel's journal as NDJSON, one JSON object a line. Line 1, the header, says what this is
 * ({@code "journal": "vkernel"}), its {@code version} and how the kernel was created; each further line is one
 * {@link KernelInput} with its {@code step} (1, 2, ...). Packets are kept as the bytes of the IPv4 packet (base64),
 * written data as base64, addresses as {@code ip:port}.
 */
public final class JournalCodec {

    public static final String FORMAT = "vkernel";
    public static final int VERSION = 1;

    /**
     * Parsers take their buffers from a per-thread pool: replay creates one parser per line, and the default shared
     * pool (a concurrent deque) cost a quarter of decoding.
     */
    private static final tools.jackson.core.json.JsonFactory FACTORY = tools.jackson.core.json.JsonFactory.builder()
            .recyclerPool(tools.jackson.core.util.JsonRecyclerPools.threadLocalPool()).build();
    private static final JsonMapper JSON = JsonMapper.builder(FACTORY).build();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    private static final String HEX = "0123456789ABCDEF";

    /**
     * How a kernel was made: its config, the bounds the registry put on parked calls, an owner (null in open mode)
     * and a map for settings later features add.
     */
    public record Header(KernelConfig config, int parkedPerProcess, int parkedPerKernel, String owner,
                         Map<String, String> settings) {
    }

    private JournalCodec() {
    }

    public static String header(Header header) {
        KernelConfig c = header.config();
        ObjectNode node = JSON.createObjectNode();
        node.put("journal", FORMAT);
        node.put("version", VERSION);
        node.put("id", c.id());
        node.put("address", Ipv4.format(c.address()));
        node.put("seed", c.seed());
        node.put("buckets", c.buckets());
        node.put("hash", c.hash());
        node.put("eventCapacity", c.eventCapacity());
        node.put("wireCapacity", c.wireCapacity());
        node.put("maxProcesses", c.maxProcesses());
        node.put("maxConnections", c.maxConnections());
        node.put("parkedPerProcess", header.parkedPerProcess());
        node.put("parkedPerKernel", header.parkedPerKernel());
        if (header.owner() != null) {
            node.put("owner", header.owner());
        }
        ObjectNode settings = node.putObject("settings");
        header.settings().forEach(settings::put);
        return JSON.writeValueAsString(node);
    }

    public static Header parseHeader(String line) {
        JsonNode node = parse(1, line);
        if (!FORMAT.equals(node.path("journal").asString(null))) {
            throw new JournalException(1, "the first line must be a vkernel journal header ({\"journal\": \"vkernel\", \"version\": "
                    + VERSION + ", ...}), got " + abbreviate(line));
        }
        JsonNode version = node.get("version");
        if (version == null || !version.isInt()) {
            throw new JournalException(1, "the header has no integer 'version'");
        }
        if (version.intValue() > VERSION) {
            throw new JournalException(1, "journal version " + version.intValue() + " is newer than this service reads (" + VERSION
                    + "); export it again from this version or upgrade vkernel");
        }
        if (version.intValue() < 1) {
            throw new JournalException(1, "journal version " + version.intValue() + " does not exist; versions start at 1");
        }
        try {
            KernelConfig config = new KernelConfig(text(1, node, "id"), Ipv4.parse(text(1, node, "address")),
                    number(1, node, "seed"), (int) number(1, node, "buckets"), text(1, node, "hash"),
                    (int) number(1, node, "eventCapacity"), (int) number(1, node, "wireCapacity"),
                    (int) number(1, node, "maxProcesses"), (int) number(1, node, "maxConnections"));
            Map<String, String> settings = new LinkedHashMap<>();
            node.path("settings").properties().forEach(e -> settings.put(e.getKey(), e.getValue().asString()));
            return new Header(config, (int) number(1, node, "parkedPerProcess"), (int) number(1, node, "parkedPerKernel"),
                    node.hasNonNull("owner") ? node.get("owner").asString() : null, settings);
        } catch (IllegalArgumentException e) {
            throw new JournalException(1, e.getMessage());
        }
    }

    /** One input as its journal line. */
    public static String entry(long step, KernelInput input) {
        StringBuilder line = new StringBuilder(64).append("{\"step\":").append(step).append(",\"op\":\"").append(input.op()).append('"');
        if (input instanceof KernelInput.Packet p) {
            bytes(line, "bytes", WirePacket.encode(p.segment()));
        } else if (input instanceof KernelInput.RawPacket r) {
            bytes(line, "bytes", r.bytes());
        } else if (input instanceof KernelInput.Spawn s) {
            string(line, "name", s.name());
        } else if (input instanceof KernelInput.Exit e) {
            field(line, "pid", e.pid());
        } else if (input instanceof KernelInput.Advance a) {
            field(line, "ms", a.ms());
        } else if (input instanceof KernelInput.Sysctl s) {
            string(line, "name", s.name());
            field(line, "value", s.value());
        } else if (input instanceof KernelInput.ClockMode m) {
            string(line, "mode", m.realtime() ? "realtime" : "manual");
        } else if (input instanceof KernelInput.Syscall c) {
            syscall(line, c);
        }
        return line.append('}').toString();
    }

    private static void syscall(StringBuilder line, KernelInput.Syscall c) {
        field(line, "pid", c.pid());
        if (!java.util.Set.of("socket", "poll", "epoll_create", "open", "pipe", "mkfile", "unlink").contains(c.call())) {
            field(line, "fd", c.fd());
        }
        switch (c.call()) {
            case "socket" -> {
                if (c.arg() != 0) {
                    string(line, "type", "SOCK_STREAM|SOCK_NONBLOCK"); // absent on a plain socket (older journals too)
                }
            }
            case "bind", "connect" -> string(line, "addr", c.address().toString());
            case "listen" -> field(line, "backlog", c.arg());
            case "read" -> field(line, "count", c.arg());
            case "write" -> bytes(line, "data", c.data());
            case "recv", "recvmsg" -> {
                field(line, "count", c.arg());
                field(line, "flags", c.value());
            }
            case "send" -> {
                bytes(line, "data", c.data());
                field(line, "flags", c.value());
            }
            case "sendmsg" -> {
                bytes(line, "data", c.data());
                field(line, "flags", c.value());
                string(line, "iov", c.name());
            }
            case "sendto" -> {
                bytes(line, "data", c.data());
                field(line, "flags", c.value());
                string(line, "addr", c.address() == null ? (c.arg() != 0 ? "AF_UNSPEC" : "NULL") : c.address().toString());
            }
            case "nullbuf" -> {
                string(line, "call", c.name());
                field(line, "count", c.arg());
                field(line, "flags", c.value());
                string(line, "addr", c.address() == null ? "NULL" : c.address().toString());
            }
            case "poll" -> {
                string(line, "fds", c.name());
                field(line, "timeout", c.arg());
            }
            case "setsockoptname", "setsockoptbytes" -> {
                string(line, "option", c.name());
                bytes(line, "data", c.data());
            }
            case "fcntl" -> {
                string(line, "cmd", c.name());
                field(line, "flags", c.arg());
            }
            case "epoll_create" -> field(line, "size", c.arg());
            case "epoll_ctl" -> {
                field(line, "ctl", c.arg());
                field(line, "target", c.value() >> 32);
                field(line, "events", c.value() & 0xffffffffL);
                string(line, "data", c.name());
            }
            case "epoll_wait" -> {
                field(line, "maxevents", c.arg());
                field(line, "timeout", c.value());
            }
            case "open" -> {
                string(line, "path", c.name());
                field(line, "flags", c.arg());
            }
            case "lseek" -> {
                field(line, "offset", c.value());
                field(line, "whence", c.arg());
            }
            case "pipe" -> field(line, "flags", c.arg());
            case "sendfile" -> {
                field(line, "in", c.arg());
                string(line, "offset", c.name());
                field(line, "count", c.value());
            }
            case "splice" -> {
                field(line, "out", Integer.parseInt(c.name()));
                field(line, "len", c.value());
                field(line, "flags", c.arg());
            }
            case "mkfile" -> {
                string(line, "path", c.name());
                field(line, "size", c.value());
            }
            case "unlink" -> string(line, "path", c.name());
            case "shutdown" -> field(line, "how", c.arg());
            case "dup2" -> field(line, "newfd", c.arg());
            case "ioctl" -> string(line, "request", c.name());
            case "getsockopt" -> string(line, "option", c.name());
            case "setsockopt" -> {
                string(line, "option", c.name());
                field(line, "value", c.value());
                field(line, "on", c.arg());
            }
            default -> {
            }
        }
    }

    /** Reads line {@code lineNo} (1-based, so step {@code lineNo - 1}), checking its step number. */
    public static KernelInput parseEntry(int lineNo, String line) {
        Map<String, Object> node = parseFlat(lineNo, line);
        long step = number(lineNo, node, "step");
        if (step != lineNo - 1) {
            throw new JournalException(lineNo, "expected step " + (lineNo - 1) + ", got step " + step + " (a line is missing or out of order)");
        }
        String op = text(lineNo, node, "op");
        try {
            return switch (op) {
                case "packet" -> new KernelInput.Packet(WirePacket.parse(bytes(lineNo, node, "bytes")).segment());
                case "raw" -> new KernelInput.RawPacket(bytes(lineNo, node, "bytes"));
                case "spawn" -> new KernelInput.Spawn(text(lineNo, node, "name"));
                case "exit" -> new KernelInput.Exit(integer(lineNo, node, "pid"));
                case "advance" -> new KernelInput.Advance(number(lineNo, node, "ms"));
                case "sysctl" -> new KernelInput.Sysctl(text(lineNo, node, "name"), number(lineNo, node, "value"));
                case "clock" -> new KernelInput.ClockMode(switch (text(lineNo, node, "mode")) {
                    case "realtime" -> true;
                    case "manual" -> false;
                    default -> throw new JournalException(lineNo, "mode must be 'manual' or 'realtime'");
                });
                case "socket" -> new KernelInput.Syscall("socket", integer(lineNo, node, "pid"), -1, socketType(lineNo, node), 0,
                        null, null, null);
                case "bind", "connect" -> call(lineNo, node, op, 0, 0, Endpoint.parse(text(lineNo, node, "addr")), null, null);
                case "listen" -> call(lineNo, node, op, integer(lineNo, node, "backlog"), 0, null, null, null);
                case "read" -> call(lineNo, node, op, integer(lineNo, node, "count"), 0, null, null, null);
                case "write" -> call(lineNo, node, op, 0, 0, null, bytes(lineNo, node, "data"), null);
                case "recv", "recvmsg" -> call(lineNo, node, op, integer(lineNo, node, "count"), integer(lineNo, node, "flags"), null, null, null);
                case "send" -> call(lineNo, node, op, 0, integer(lineNo, node, "flags"), null, bytes(lineNo, node, "data"), null);
                case "sendmsg" -> {
                    String iov = text(lineNo, node, "iov");
                    if (!iov.matches("(\\d{1,9}(,\\d{1,9})*)?")) {
                        throw new JournalException(lineNo, "iov must be the iovec lengths joined by commas, e.g. \"1,1,100\"");
                    }
                    yield call(lineNo, node, op, 0, integer(lineNo, node, "flags"), null, bytes(lineNo, node, "data"), iov);
                }
                case "sendto" -> {
                    String addr = text(lineNo, node, "addr");
                    boolean named = !addr.equals("AF_UNSPEC") && !addr.equals("NULL");
                    yield call(lineNo, node, op, addr.equals("AF_UNSPEC") ? 1 : 0, integer(lineNo, node, "flags"),
                            named ? Endpoint.parse(addr) : null, bytes(lineNo, node, "data"), null);
                }
                case "nullbuf" -> {
                    String addr = text(lineNo, node, "addr");
                    String call = text(lineNo, node, "call");
                    if (!io.vkernel.kernel.Kernel.NULL_BUFFER_CALLS.contains(call)) {
                        throw new JournalException(lineNo, "call must be one of " + io.vkernel.kernel.Kernel.NULL_BUFFER_CALLS);
                    }
                    yield call(lineNo, node, op, integer(lineNo, node, "count"), integer(lineNo, node, "flags"),
                            addr.equals("NULL") ? null : Endpoint.parse(addr), null, call);
                }
                case "tcp_metrics_flush" -> call(lineNo, node, op, 0, 0, null, null, null);
                case "poll" -> {
                    String fds = text(lineNo, node, "fds");
                    if (!fds.matches("(\\d+:\\d+(,\\d+:\\d+)*)?")) {
                        throw new JournalException(lineNo, "fds must be fd:events pairs separated by commas");
                    }
                    yield new KernelInput.Syscall(op, integer(lineNo, node, "pid"), -1, integer(lineNo, node, "timeout"), 0, null, null, fds);
                }
                case "setsockoptname", "setsockoptbytes" -> call(lineNo, node, op, 0, 0, null, bytes(lineNo, node, "data"), text(lineNo, node, "option"));
                case "epoll_create" -> new KernelInput.Syscall(op, integer(lineNo, node, "pid"), -1, integer(lineNo, node, "size"), 0, null, null, null);
                case "epoll_ctl" -> {
                    String data = text(lineNo, node, "data");
                    if (!data.matches("-?\\d{1,19}")) {
                        throw new JournalException(lineNo, "data must be a 64-bit number");
                    }
                    yield call(lineNo, node, op, integer(lineNo, node, "ctl"),
                            KernelInput.Syscall.epollTarget(integer(lineNo, node, "target"), (int) number(lineNo, node, "events")), null, null,
                            Long.toString(Long.parseLong(data)));
                }
                case "epoll_wait" -> call(lineNo, node, op, integer(lineNo, node, "maxevents"), integer(lineNo, node, "timeout"), null, null, null);
                case "fcntl" -> call(lineNo, node, op, integer(lineNo, node, "flags"), 0, null, null, text(lineNo, node, "cmd"));
                case "open" -> new KernelInput.Syscall(op, integer(lineNo, node, "pid"), -1, integer(lineNo, node, "flags"), 0, null, null,
                        text(lineNo, node, "path"));
                case "lseek" -> call(lineNo, node, op, integer(lineNo, node, "whence"), number(lineNo, node, "offset"), null, null, null);
                case "pipe" -> new KernelInput.Syscall(op, integer(lineNo, node, "pid"), -1, integer(lineNo, node, "flags"), 0, null, null, null);
                case "sendfile" -> {
                    String offset = text(lineNo, node, "offset");
                    if (!offset.equals("NULL") && !offset.matches("-?\\d{1,19}")) {
                        throw new JournalException(lineNo, "offset must be NULL or a number");
                    }
                    yield call(lineNo, node, op, integer(lineNo, node, "in"), number(lineNo, node, "count"), null, null, offset);
                }
                case "splice" -> call(lineNo, node, op, integer(lineNo, node, "flags"), number(lineNo, node, "len"), null, null,
                        Integer.toString(integer(lineNo, node, "out")));
                case "mkfile" -> new KernelInput.Syscall(op, 0, -1, 0, number(lineNo, node, "size"), null, null, text(lineNo, node, "path"));
                case "unlink" -> new KernelInput.Syscall(op, 0, -1, 0, 0, null, null, text(lineNo, node, "path"));
                case "shutdown" -> call(lineNo, node, op, integer(lineNo, node, "how"), 0, null, null, null);
                case "dup2" -> call(lineNo, node, op, integer(lineNo, node, "newfd"), 0, null, null, null);
                case "ioctl" -> call(lineNo, node, op, 0, 0, null, null, text(lineNo, node, "request"));
                case "getsockopt" -> call(lineNo, node, op, 0, 0, null, null, text(lineNo, node, "option"));
                case "setsockopt" -> call(lineNo, node, op, integer(lineNo, node, "on"), number(lineNo, node, "value"), null, null,
                        text(lineNo, node, "option"));
                case "accept", "close", "dup", "disconnect" -> call(lineNo, node, op, 0, 0, null, null, null);
                default -> throw new JournalException(lineNo, "unknown op '" + op + "'");
            };
        } catch (MalformedPacketException e) {
            throw new JournalException(lineNo, "bytes are not a TCP segment in an IPv4 packet: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new JournalException(lineNo, e.getMessage());
        }
    }

    private static KernelInput.Syscall call(int lineNo, Map<String, Object> node, String op, int arg, long value, Endpoint address,
                                            byte[] data, String name) {
        return new KernelInput.Syscall(op, integer(lineNo, node, "pid"), integer(lineNo, node, "fd"), arg, value, address, data, name);
    }

    /** A value of a type the entry fields never have (a float, a boolean, null, an object, an array). */
    private static final Object OTHER = new Object();

    /**
     * An entry line's fields, read with the streaming parser (no tree): strings as {@link String}, integers that fit a
     * long as {@link Long}, big integers as {@link java.math.BigInteger}, anything else as {@link #OTHER}. Replay reads
     * every line of every journal on start, so this is on its hot path.
     */
    private static Map<String, Object> parseFlat(int lineNo, String line) {
        Map<String, Object> fields = new java.util.HashMap<>(16);
        // from the factory, not the mapper: a token stream needs no deserialization context (one per line was a
        // tenth of what decoding allocated)
        try (JsonParser parser = FACTORY.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new JournalException(lineNo, "not a JSON object: " + abbreviate(line));
            }
            for (String name = parser.nextName(); name != null; name = parser.nextName()) {
                JsonToken value = parser.nextToken();
                fields.put(name, switch (value) {
                    case VALUE_STRING -> parser.getString();
                    case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            ? parser.getBigIntegerValue() : (Object) parser.getLongValue();
                    case START_OBJECT, START_ARRAY -> {
                        parser.skipChildren();
                        yield OTHER;
                    }
                    default -> OTHER;
                });
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                throw new JournalException(lineNo, "not a JSON object: " + abbreviate(line));
            }
        } catch (JacksonException e) {
            throw new JournalException(lineNo, "not a JSON object (truncated or corrupt): " + e.getOriginalMessage());
        }
        return fields;
    }

    /** socket's optional type: 1 for SOCK_STREAM|SOCK_NONBLOCK, 0 when absent or SOCK_STREAM. */
    private static int socketType(int lineNo, Map<String, Object> node) {
        if (!node.containsKey("type")) {
            return 0;
        }
        return switch (text(lineNo, node, "type")) {
            case "SOCK_STREAM" -> 0;
            case "SOCK_STREAM|SOCK_NONBLOCK" -> 1;
            default -> throw new JournalException(lineNo, "'type' must be SOCK_STREAM or SOCK_STREAM|SOCK_NONBLOCK");
        };
    }

    private static String text(int lineNo, Map<String, Object> node, String field) {
        if (!(node.get(field) instanceof String value)) {
            throw new JournalException(lineNo, "'" + field + "' must be a string");
        }
        return value;
    }

    private static long number(int lineNo, Map<String, Object> node, String field) {
        if (!(node.get(field) instanceof Long value)) {
            throw new JournalException(lineNo, "'" + field + "' must be an integer");
        }
        return value;
    }

    private static int integer(int lineNo, Map<String, Object> node, String field) {
        long value = number(lineNo, node, field);
        if (value != (int) value) {
            throw new JournalException(lineNo, "'" + field + "' is out of range: " + value);
        }
        return (int) value;
    }

    private static byte[] bytes(int lineNo, Map<String, Object> node, String field) {
        try {
            return B64D.decode(text(lineNo, node, field));
        } catch (IllegalArgumentException e) {
            throw new JournalException(lineNo, "'" + field + "' must be base64: " + e.getMessage());
        }
    }

    private static JsonNode parse(int lineNo, String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            throw new JournalException(lineNo, "not a JSON object (truncated or corrupt): " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new JournalException(lineNo, "not a JSON object: " + abbreviate(line));
        }
        return node;
    }

    private static String text(int lineNo, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isString()) {
            throw new JournalException(lineNo, "'" + field + "' must be a string");
        }
        return value.asString();
    }

    private static long number(int lineNo, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new JournalException(lineNo, "'" + field + "' must be an integer");
        }
        return value.longValue();
    }

    private static void field(StringBuilder line, String name, long value) {
        line.append(",\"").append(name).append("\":").append(value);
    }

    private static void bytes(StringBuilder line, String name, byte[] value) {
        line.append(",\"").append(name).append("\":\"").append(B64.encodeToString(value)).append('"');
    }

    /** A JSON string as Jackson writes it (quote, backslash and control characters escaped), without a mapper per entry. */
    private static void string(StringBuilder line, String name, String value) {
        line.append(",\"").append(name).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> line.append("\\\"");
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                case '\b' -> line.append("\\b");
                case '\f' -> line.append("\\f");
                default -> {
                    if (c < 0x20) {
                        line.append("\\u00").append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
                    } else {
                        line.append(c);
                    }
                }
            }
        }
        line.append('"');
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "...";
    }
}
