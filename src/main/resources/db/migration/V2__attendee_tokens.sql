-- Workshop mode (issue 15): an attendee's token survives a restart. Only the SHA-256 digest of the token's secret
-- is kept (hex), never the token; kernels.owner names the attendee who owns each kernel.
CREATE TABLE attendees (
    id     VARCHAR(64) NOT NULL PRIMARY KEY,
    digest VARCHAR(64) NOT NULL
);
