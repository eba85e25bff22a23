package io.vkernel.kernel;

/** A configured bound of the kernel (processes, connections, ...) would be exceeded. */
public final class KernelLimitException extends RuntimeException {

    public KernelLimitException(String message) {
        super(message);
    }
}
