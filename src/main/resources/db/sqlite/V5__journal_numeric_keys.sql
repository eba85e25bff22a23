-- The schema of db/migration's V1 to V5 as SQLite writes it (the embedded default since the fifteenth session; an H2
-- data directory is carried over by JournalConfig). SQLite starts at V5: it never held an older layout.
-- INTEGER PRIMARY KEY is SQLite's rowid: a kernel's journal is one range of a single B-tree, keyed num * 2^40 + step.
CREATE TABLE kernels (
    id    VARCHAR(32)  NOT NULL PRIMARY KEY,
    owner VARCHAR(255),
    num   INTEGER      NOT NULL CONSTRAINT kernels_num UNIQUE
);

CREATE TABLE journal_entries (
    id    INTEGER NOT NULL PRIMARY KEY,
    entry TEXT    NOT NULL
);

CREATE TABLE attendees (
    id     VARCHAR(64) NOT NULL PRIMARY KEY,
    digest VARCHAR(64) NOT NULL
);

CREATE TABLE kernel_snapshots (
    kernel_id   VARCHAR(32) NOT NULL PRIMARY KEY,
    step        INTEGER     NOT NULL,
    format      INTEGER     NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    classes     TEXT        NOT NULL,
    data        BLOB        NOT NULL
);

CREATE TABLE networks (
    id     VARCHAR(32) NOT NULL PRIMARY KEY,
    header TEXT        NOT NULL,
    num    INTEGER     NOT NULL CONSTRAINT networks_num UNIQUE
);

CREATE TABLE network_entries (
    id    INTEGER NOT NULL PRIMARY KEY,
    entry TEXT    NOT NULL
);
