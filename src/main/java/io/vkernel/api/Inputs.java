package io.vkernel.api;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.TcpFlags;

/** Parses the text forms a user types (addresses, flags, sequence numbers) into kernel values, naming the field on error. */
final class Inputs {

    static final long MAX_SEQ = 0xffffffffL;

    private Inputs() {
    }

    static Endpoint endpoint(String field, String text) {
        try {
            return Endpoint.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static int address(String field, String text) {
        try {
            return Ipv4.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static FourTuple tuple(String field, String text) {
        try {
            return FourTuple.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static int flags(String field, String text) {
        try {
            return TcpFlags.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    /** A 32-bit sequence or acknowledgment number written as an unsigned decimal. */
    static int seq(String field, Long value) {
        if (value == null) {
            return 0;
        }
        if (value < 0 || value > MAX_SEQ) {
            throw ApiException.badField(field, field + " " + value + " is out of range 0-4294967295 (32-bit sequence space)");
        }
        return (int) value.longValue();
    }

    static int range(String field, Integer value, int fallback, int min, int max) {
        int v = value == null ? fallback : value;
        if (v < min || v > max) {
            throw ApiException.badField(field, field + " " + v + " is out of range " + min + "-" + max);
        }
        return v;
    }

    static <T> T required(String field, T value, String what) {
        if (value == null) {
            throw ApiException.badField(field, field + " is required: " + what);
        }
        return value;
    }
}
