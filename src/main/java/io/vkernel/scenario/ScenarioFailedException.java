package io.vkernel.scenario;

/** A scenario's script could not play to its end on the kernel: a bug in the script or in the kernel, never the caller's. */
public final class ScenarioFailedException extends RuntimeException {

    public ScenarioFailedException(String id, RuntimeException cause) {
        super("scenario '" + id + "' could not play to its end: " + cause.getMessage(), cause);
    }
}
