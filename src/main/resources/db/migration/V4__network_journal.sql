-- Networks survive a restart (issue 15). A network's members keep their own journals (every packet the link
-- delivered to a member is one of its inputs); what the network adds is its link: `networks` holds its header (id,
-- members, link settings, clock mode) and `network_entries` every packet a member put on the link and every packet
-- taken off it, in the order the link saw them, so replaying them into a fresh link rebuilds its random draws, queue,
-- capture and counters.
CREATE TABLE networks (
    id     VARCHAR(32) NOT NULL PRIMARY KEY,
    header TEXT        NOT NULL
);

CREATE TABLE network_entries (
    network_id VARCHAR(32) NOT NULL,
    seq        BIGINT      NOT NULL,
    entry      TEXT        NOT NULL,
    PRIMARY KEY (network_id, seq)
);
