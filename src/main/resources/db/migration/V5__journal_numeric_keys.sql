-- One numeric primary key for the journal's rows (issue 15 item 5). A key (kernel_id VARCHAR, step) made H2 keep two
-- B-trees per table, the rows under a hidden row id and the unique index, and every group commit rewrote the last
-- leaves of both; with one BIGINT key the rows are the index (BENCHMARKS.md, "What a group commit costs, by layout").
-- Each kernel (and network) gets a number `num`, unique among the stored ones, and its row for step s has the key
-- num * 2^40 + s: a kernel's journal is one key range, read in step order by the key alone. Existing rows are carried
-- over: the kernels (networks) already stored are numbered 1, 2, ... in id order. Portable SQL for H2 and PostgreSQL.
ALTER TABLE kernels ADD COLUMN num BIGINT;
UPDATE kernels SET num = (SELECT COUNT(*) FROM kernels k WHERE k.id <= kernels.id);
ALTER TABLE kernels ALTER COLUMN num SET NOT NULL;
ALTER TABLE kernels ADD CONSTRAINT kernels_num UNIQUE (num);

CREATE TABLE journal_rows (
    id    BIGINT NOT NULL,
    entry TEXT   NOT NULL,
    CONSTRAINT journal_entries_id PRIMARY KEY (id)
);
INSERT INTO journal_rows (id, entry)
    SELECT k.num * 1099511627776 + e.step, e.entry FROM journal_entries e JOIN kernels k ON k.id = e.kernel_id;
DROP TABLE journal_entries;
ALTER TABLE journal_rows RENAME TO journal_entries;

ALTER TABLE networks ADD COLUMN num BIGINT;
UPDATE networks SET num = (SELECT COUNT(*) FROM networks n WHERE n.id <= networks.id);
ALTER TABLE networks ALTER COLUMN num SET NOT NULL;
ALTER TABLE networks ADD CONSTRAINT networks_num UNIQUE (num);

CREATE TABLE network_rows (
    id    BIGINT NOT NULL,
    entry TEXT   NOT NULL,
    CONSTRAINT network_entries_id PRIMARY KEY (id)
);
INSERT INTO network_rows (id, entry)
    SELECT n.num * 1099511627776 + e.seq, e.entry FROM network_entries e JOIN networks n ON n.id = e.network_id;
DROP TABLE network_entries;
ALTER TABLE network_rows RENAME TO network_entries;
