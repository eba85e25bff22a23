package io.vkernel.kernel;

/**
 * A request would make a kernel retain more than its own budget ({@link Budget#KERNEL}) or the service's
 * ({@link Budget#SERVICE}) allows. Thrown before the request changes anything, so nothing in the kernel is lost.
 */
public final class BudgetExceededException extends RuntimeException {

    public enum Budget {
        KERNEL("vkernel.budget.kernel-bytes"),
        SERVICE("vkernel.budget.service-bytes");

        private final String setting;

        Budget(String setting) {
            this.setting = setting;
        }

        public String setting() {
            return setting;
        }
    }

    private final Budget budget;
    private final long usedBytes;
    private final long limitBytes;
    private final long requestedBytes;

    public BudgetExceededException(Budget budget, String message, long usedBytes, long requestedBytes, long limitBytes) {
        super(message);
        this.budget = budget;
        this.usedBytes = usedBytes;
        this.requestedBytes = requestedBytes;
        this.limitBytes = limitBytes;
    }

    public Budget budget() {
        return budget;
    }

    public long usedBytes() {
        return usedBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
