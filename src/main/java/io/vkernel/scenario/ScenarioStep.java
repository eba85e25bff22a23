package io.vkernel.scenario;

import java.util.List;

/**
 * One step of a run: the seed's time label, the virtual clock, the narration a person reads (with the real FD
 * numbers, hashes, buckets, sequence numbers and states), what was done, what the kernel sent ({@code sentOmitted}
 * counts packets left out of a long list) and the kernel's state afterwards.
 */
public record ScenarioStep(int step, String time, long clockMs, String title, String narration,
                           List<ScenarioAction> actions, List<ScenarioPacket> sent, Integer sentOmitted,
                           KernelSnapshot state) {
}
