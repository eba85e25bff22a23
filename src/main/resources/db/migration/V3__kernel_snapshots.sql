-- Journal snapshots (issue 15): a kernel's whole state after step `step` of its journal, so a restart reads it and
-- replays only the entries after it. One row per kernel, the latest; dropped with the kernel's journal. `format`,
-- `fingerprint` and `classes` say what wrote `data` (io.vkernel.journal.Snapshots): a snapshot this vkernel cannot
-- read is ignored and the journal replayed from its first step.
CREATE TABLE kernel_snapshots (
    kernel_id   VARCHAR(32) NOT NULL PRIMARY KEY,
    step        BIGINT      NOT NULL,
    format      INTEGER     NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    classes     TEXT        NOT NULL,
    data        BYTEA       NOT NULL
);
