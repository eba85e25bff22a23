package io.vkernel.kernel.wire;

/** One end of a TCP connection: an IPv4 address and a port, written {@code ip:port}. */
public record Endpoint(int address, int port) {

    public Endpoint {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
        }
    }

    public static Endpoint of(String address, int port) {
        return new Endpoint(Ipv4.parse(address), port);
    }

    /** Parses {@code a.b.c.d:port}. */
    public static Endpoint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an address is required, written ip:port such as 10.0.0.50:8080");
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + text + "' has no port: write ip:port such as 10.0.0.50:8080");
        }
        int address = Ipv4.parse(text.substring(0, colon));
        String portText = text.substring(colon + 1);
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + portText + "' is not a port: use a number 0-65535");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
        }
        return new Endpoint(address, port);
    }

    public boolean isWildcard() {
        return address == Ipv4.ANY;
    }

    @Override
    public String toString() {
        return Ipv4.format(address) + ":" + port;
    }
}
