package io.vkernel.scenario;

import java.util.List;

/** No scenario has this id; {@link #known()} lists the ids there are. */
public final class UnknownScenarioException extends RuntimeException {

    private final String id;
    private final List<String> known;

    public UnknownScenarioException(String id, List<String> known) {
        super("no scenario '" + id + "'; the scenarios are: " + String.join(", ", known), null, false, false);
        this.id = id;
        this.known = List.copyOf(known);
    }

    public String id() {
        return id;
    }

    public List<String> known() {
        return known;
    }
}
