package io.vkernel.api;

import io.vkernel.journal.Replay;
import io.vkernel.journal.Snapshots;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.KernelCheck;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.MemoryBudget;
import io.vkernel.kernel.wire.Ipv4;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.api.JournalReplayPropertiesTest.Action;
import static io.vkernel.api.JournalReplayPropertiesTest.actions;
import static io.vkernel.api.JournalReplayPropertiesTest.fingerprint;
import static io.vkernel.api.JournalReplayPropertiesTest.qt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * A snapshot is a shortcut through a journal, never a different road: for a random history (the same generator as
 * {@link JournalReplayPropertiesTest}) a kernel replayed to a random step N, written as a snapshot, read back and given
 * the rest of the journal shows the same views, events, wire log and invariant check, byte for byte, as the whole
 * journal replayed; then both are given the same further random inputs and are compared again, and the inputs they
 * journal for those are the same lines. Set -DQT_SEED=N to replay a failure QuickTheories reported.
 */
class JournalSnapshotPropertiesTest {

    @Test
    void aSnapshotAtAnyStepPlusTheRestOfTheJournal_isTheWholeReplay_andKeepsBehavingTheSame() {
        qt(100).withShrinkCycles(30).forAll(longs().all(), actions(), actions(), integers().between(0, 1_000_000))
                .checkAssert(JournalSnapshotPropertiesTest::snapshotThenTailIsTheWholeReplay);
    }

    static void snapshotThenTailIsTheWholeReplay(long seed, List<Action> history, List<Action> after, int pick) {
        KernelConfig config = new KernelConfig("snap", Ipv4.parse("10.0.0.50"), seed, 64, seed % 2 == 0 ? "jhash" : "xor",
                500, 500, 16, 1000);
        JournalReplayPropertiesTest.Driven driven = JournalReplayPropertiesTest.drive(config, history);
        int[] pids = driven.pids();
        Replay.Parsed parsed = Replay.parse(driven.lines());
        int all = parsed.inputs().size();
        int n = pick % (all + 1);

        Kernel whole = Replay.run(parsed, config, all, Kernel::new);
        Kernel prefix = Replay.run(parsed, config, n, Kernel::new);
        Snapshots.Snapshot snapshot = Snapshots.write(prefix);
        Kernel restored = read(snapshot);
        for (int i = n; i < all; i++) {
            parsed.inputs().get(i).applyTo(restored);
        }
        assertSame(whole, restored, "snapshot at step " + n + " of " + all + " + the rest");
        assertThat(restored.inspect(KernelCheck::run).violations()).isEmpty();

        List<KernelInput> wholeNext = new ArrayList<>();
        List<KernelInput> restoredNext = new ArrayList<>();
        whole.recordInputs((k, input) -> wholeNext.add(input));
        restored.recordInputs((k, input) -> restoredNext.add(input));
        int[] wholePids = pids.clone();
        int[] restoredPids = pids.clone();
        for (Action action : after) {
            String a = outcome(() -> action.apply(whole, wholePids));
            String b = outcome(() -> action.apply(restored, restoredPids));
            assertThat(b).as("the same input after the snapshot: " + action).isEqualTo(a);
        }
        assertSame(whole, restored, "after " + after.size() + " more inputs");
        assertThat(Replay.lines(parsed.header(), restoredNext)).isEqualTo(Replay.lines(parsed.header(), wholeNext));
    }

    private static Kernel read(Snapshots.Snapshot snapshot) {
        try {
            return Snapshots.read(snapshot, KernelBudget.unlimited());
        } catch (Snapshots.Unreadable e) {
            throw new AssertionError("a snapshot just written does not read: " + e.getMessage(), e);
        }
    }

    private static String outcome(Runnable call) {
        try {
            call.run();
            return "ok";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static void assertSame(Kernel expectedKernel, Kernel actualKernel, String what) {
        String expected = fingerprint(expectedKernel);
        String actual = fingerprint(actualKernel);
        int at = 0;
        while (at < Math.min(expected.length(), actual.length()) && expected.charAt(at) == actual.charAt(at)) {
            at++;
        }
        int from = Math.max(0, at - 300);
        assertThat(actual.substring(from, Math.min(actual.length(), at + 200)))
                .as(what + ": the views differ from the whole replay's at character " + at)
                .isEqualTo(expected.substring(from, Math.min(expected.length(), at + 200)));
    }

    @Test
    void aSnapshotOfAnotherFormat_otherBudgets_orDamagedBytes_isRefusedSoTheJournalIsReplayedInstead() {
        Kernel kernel = new Kernel(KernelConfig.defaults("s", 7));
        kernel.spawn("server");
        Snapshots.Snapshot good = Snapshots.write(kernel);

        Snapshots.Snapshot newer = new Snapshots.Snapshot(Snapshots.FORMAT + 1, good.fingerprint(), good.classes(), good.data());
        assertThatThrownBy(() -> Snapshots.read(newer, KernelBudget.unlimited())).isInstanceOf(Snapshots.Unreadable.class)
                .hasMessageContaining("newer");
        Snapshots.Snapshot otherCode = new Snapshots.Snapshot(good.format(), good.fingerprint().replace('a', 'b').replace('0', '1'),
                good.classes(), good.data());
        assertThatThrownBy(() -> Snapshots.read(otherCode, KernelBudget.unlimited())).isInstanceOf(Snapshots.Unreadable.class)
                .hasMessageContaining("other code");
        Snapshots.Snapshot goneClass = new Snapshots.Snapshot(good.format(), good.fingerprint(), good.classes() + ",io.vkernel.kernel.Gone",
                good.data());
        assertThatThrownBy(() -> Snapshots.read(goneClass, KernelBudget.unlimited())).isInstanceOf(Snapshots.Unreadable.class)
                .hasMessageContaining("io.vkernel.kernel.Gone");
        KernelBudget smaller = new KernelBudget(1 << 20, 1 << 18, 1 << 18, MemoryBudget.unlimited());
        assertThatThrownBy(() -> Snapshots.read(good, smaller)).isInstanceOf(Snapshots.Unreadable.class)
                .hasMessageContaining("budgets");
        byte[] cut = java.util.Arrays.copyOf(good.data(), good.data().length / 2);
        assertThatThrownBy(() -> Snapshots.read(new Snapshots.Snapshot(good.format(), good.fingerprint(), good.classes(), cut),
                KernelBudget.unlimited())).isInstanceOf(Snapshots.Unreadable.class).hasMessageContaining("do not read");
    }
}
