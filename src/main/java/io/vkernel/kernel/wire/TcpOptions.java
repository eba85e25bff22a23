package io.vkernel.kernel.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The options of one TCP header, in the order sent. Parsing follows Linux's {@code tcp_parse_options()} walk
 * (kind, length, value; EOL ends the list, NOP is one byte) but refuses an option whose length is below 2 or runs
 * past the header, where Linux stops reading and keeps the segment.
 */
public record TcpOptions(List<TcpOption> list) {

    /** At most 40 option bytes fit a header: data offset 15 words less the 5 of the fixed header. */
    public static final int MAX_LENGTH = 40;

    public static final TcpOptions NONE = new TcpOptions(List.of());

    public TcpOptions {
        list = List.copyOf(list);
        int size = 0;
        for (int i = 0; i < list.size(); i++) { // no stream: every segment sent or replayed makes one
            size += list.get(i).size();
        }
        if (size > MAX_LENGTH) {
            throw new IllegalArgumentException("TCP options take " + size + " bytes; at most 40 fit a header");
        }
    }

    public static TcpOptions of(TcpOption... options) {
        return new TcpOptions(List.of(options));
    }

    /** Reads {@code length} option bytes at {@code offset}: everything between the fixed header and the data. */
    public static TcpOptions parse(byte[] data, int offset, int length) throws MalformedPacketException {
        List<TcpOption> options = new ArrayList<>();
        int i = 0;
        while (i < length) {
            int kind = Bytes.u8(data, offset + i);
            if (kind == TcpOption.KIND_END) {
                byte[] padding = new byte[length - i - 1];
                System.arraycopy(data, offset + i + 1, padding, 0, padding.length);
                options.add(new TcpOption.End(padding));
                break;
            }
            if (kind == TcpOption.KIND_NOP) {
                options.add(new TcpOption.Nop());
                i++;
                continue;
            }
            // tcp_parse_options(): a kind with no length byte, a length below 2 ("silly options") or one running
            // past the header ends the parsing there; the options before it count and the segment is processed.
            String silly = i + 1 >= length ? "option kind " + kind + " at option byte " + i + " has no length byte"
                    : Bytes.u8(data, offset + i + 1) < 2 ? "option kind " + kind + " at option byte " + i + " has length "
                    + Bytes.u8(data, offset + i + 1) + " (at least 2: kind and length)"
                    : i + Bytes.u8(data, offset + i + 1) > length ? "option kind " + kind + " at option byte " + i
                    + " has length " + Bytes.u8(data, offset + i + 1) + ", which runs past the " + length
                    + " option bytes the data offset leaves" : null;
            if (silly != null) {
                byte[] rest = new byte[length - i];
                System.arraycopy(data, offset + i, rest, 0, rest.length);
                options.add(new TcpOption.Malformed(rest, silly));
                break;
            }
            int size = Bytes.u8(data, offset + i + 1);
            byte[] value = new byte[size - 2];
            System.arraycopy(data, offset + i + 2, value, 0, value.length);
            options.add(TcpOption.decode(kind, value));
            i += size;
        }
        return new TcpOptions(options);
    }

    /** Bytes the options take, without padding. */
    public int length() {
        int length = 0;
        for (int i = 0; i < list.size(); i++) { // indexed, no iterator: the wire log asks for every packet
            length += list.get(i).size();
        }
        return length;
    }

    /** Bytes in the header: the options padded with zeros (EOL) to a multiple of 4 (RFC 9293 §3.1). */
    public int paddedLength() {
        return (length() + 3) & ~3;
    }

    /** Writes the options and their zero padding at {@code at}. */
    public void emit(byte[] out, int at) {
        int i = at;
        for (TcpOption option : list) {
            option.write(out, i);
            i += option.size();
        }
        for (; i < at + paddedLength(); i++) {
            out[i] = 0;
        }
    }

    /** The MSS option's value, or 0 when absent (as {@link Segment#mss()} reads it). */
    public int mss() {
        for (TcpOption option : list) {
            if (option instanceof TcpOption.Mss mss) {
                return mss.value();
            }
        }
        return 0;
    }

    /**
     * Reads options written as tcpdump and packetdrill write them: {@code mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7}
     * (brackets or angle brackets around the list are allowed; {@code eol} too). Anything else is refused with a reason.
     */
    public static TcpOptions parseText(String text) {
        String body = text == null ? "" : text.strip();
        if ((body.startsWith("[") && body.endsWith("]")) || (body.startsWith("<") && body.endsWith(">"))) {
            body = body.substring(1, body.length() - 1).strip();
        }
        if (body.isEmpty()) {
            return NONE;
        }
        java.util.List<TcpOption> parsed = new java.util.ArrayList<>();
        for (String item : body.split(",")) {
            String[] words = item.strip().split("\\s+");
            try {
                switch (words[0]) {
                    case "mss" -> parsed.add(new TcpOption.Mss(Integer.parseInt(words[1])));
                    case "wscale" -> parsed.add(new TcpOption.WindowScale(Integer.parseInt(words[1])));
                    case "sackOK" -> parsed.add(new TcpOption.SackPermitted());
                    case "nop" -> parsed.add(new TcpOption.Nop());
                    case "eol" -> parsed.add(new TcpOption.End(new byte[0]));
                    case "TS" -> {
                        if (words.length != 5 || !words[1].equals("val") || !words[3].equals("ecr")) {
                            throw new IllegalArgumentException("write timestamps as 'TS val N ecr N'");
                        }
                        parsed.add(new TcpOption.Timestamps(Long.parseLong(words[2]), Long.parseLong(words[4])));
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + words[0]
                            + "': use mss N, sackOK, TS val N ecr N, nop, wscale N, eol");
                }
            } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                throw new IllegalArgumentException("option '" + item.strip() + "' needs a number, e.g. 'mss 1460' or 'wscale 7'");
            }
        }
        TcpOptions options = new TcpOptions(parsed);
        if (options.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("options take " + options.length() + " bytes; a TCP header holds at most " + MAX_LENGTH);
        }
        return options;
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    /** As tcpdump prints them: {@code [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]}. */
    @Override
    public String toString() {
        return list.stream().map(TcpOption::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
