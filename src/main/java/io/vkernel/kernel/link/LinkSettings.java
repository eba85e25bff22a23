package io.vkernel.kernel.link;

/**
 * What a link does to the packets it carries, with netem's meaning (tc-netem(8)): every packet is held for
 * {@code delayMs} give or take up to {@code jitterMs} (uniform, as netem without a distribution table), lost with
 * {@code lossPercent}, sent twice with {@code duplicatePercent}, sent at once ahead of the delayed ones with
 * {@code reorderPercent}, and serialised at {@code rateBytesPerSecond} (0: as fast as it comes). The same seed gives
 * the same losses, copies and delays, packet by packet.
 */
public record LinkSettings(long delayMs, long jitterMs, double lossPercent, double duplicatePercent, double reorderPercent,
                           long rateBytesPerSecond, long seed) {

    public static final long MAX_DELAY_MS = 60_000;
    /** Slower than 1000 bytes/s a full-sized segment would take more than a second and a half to serialise. */
    public static final long MIN_RATE = 1_000;
    public static final long MAX_RATE = 1_000_000_000_000L;

    public LinkSettings {
        range("delayMs", delayMs, 0, MAX_DELAY_MS);
        range("jitterMs", jitterMs, 0, MAX_DELAY_MS);
        percent("lossPercent", lossPercent);
        percent("duplicatePercent", duplicatePercent);
        percent("reorderPercent", reorderPercent);
        if (rateBytesPerSecond != 0 && (rateBytesPerSecond < MIN_RATE || rateBytesPerSecond > MAX_RATE)) {
            throw new LinkSettingException("rateBytesPerSecond", "rateBytesPerSecond must be 0 (no limit) or between "
                    + MIN_RATE + " and " + MAX_RATE + ", got " + rateBytesPerSecond);
        }
        // tc refuses the same: "reordering not possible without specifying some delay" (iproute2 q_netem.c)
        if (reorderPercent > 0 && delayMs == 0) {
            throw new LinkSettingException("reorderPercent", "reorderPercent needs a delayMs above 0: a reordered packet is "
                    + "one sent without the delay the others wait, as netem does (tc refuses reorder without delay)");
        }
    }

    /** A perfect link: no delay, nothing lost, copied or reordered, no rate limit. */
    public static LinkSettings perfect() {
        return new LinkSettings(0, 0, 0, 0, 0, 0, 1);
    }

    public boolean impaired() {
        return lossPercent > 0 || duplicatePercent > 0 || reorderPercent > 0 || delayMs > 0 || jitterMs > 0 || rateBytesPerSecond > 0;
    }

    private static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new LinkSettingException(field, field + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    private static void percent(String field, double value) {
        if (!(value >= 0 && value <= 100)) {
            throw new LinkSettingException(field, field + " must be between 0 and 100 (a percentage), got " + value);
        }
    }

    /** A setting out of its range; {@link #field()} names it. */
    public static final class LinkSettingException extends IllegalArgumentException {
        private final String field;

        public LinkSettingException(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }
}
