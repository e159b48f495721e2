-- 你点我检 triage: nominations that supervisors marked as spam (in bulk, each audited),
-- and supports counted per client address and nomination per day, in the database so
-- that the limit holds across server instances (postgres).
CREATE TABLE nomination_spam (
    nomination_id BIGINT PRIMARY KEY NOT NULL REFERENCES nominations(id),
    marked_by BIGINT NOT NULL REFERENCES users(id),
    marked_at TIMESTAMP NOT NULL
);

-- The client address is kept only as a keyed hash (SHA-256 under the server secret).
CREATE TABLE nomination_support_counts (
    nomination_id BIGINT NOT NULL REFERENCES nominations(id),
    client_hash TEXT NOT NULL,
    day DATE NOT NULL,
    supports INTEGER NOT NULL,
    PRIMARY KEY (nomination_id, client_hash, day)
);
CREATE INDEX nomination_support_counts_day_idx ON nomination_support_counts(day);

-- The triage list pages through nominations newest first, by region.
CREATE INDEX nominations_region_id_idx ON nominations(region_code, id);
