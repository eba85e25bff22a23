-- Durable kernels (issue 15): a kernel is its creation settings plus the ordered inputs it was given.
-- kernels: one row per journaled kernel. owner stays NULL in open mode (workshop mode may fill it).
CREATE TABLE kernels (
    id    VARCHAR(32)  NOT NULL PRIMARY KEY,
    owner VARCHAR(255)
);

-- journal_entries: step 0 is the header (creation settings), step n the n-th input, each one NDJSON line as
-- GET /api/v1/kernels/{k}/journal exports it.
CREATE TABLE journal_entries (
    kernel_id VARCHAR(32) NOT NULL,
    step      BIGINT      NOT NULL,
    entry     TEXT        NOT NULL,
    PRIMARY KEY (kernel_id, step)
);
