-- Login throttling per client address (issue 15): each attempt records the client it
-- came from, and is reserved (pending) before its password is checked.
ALTER TABLE login_attempts ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE login_attempts ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX login_attempts_client_at_idx ON login_attempts(client, at);
CREATE INDEX login_attempts_at_idx ON login_attempts(at);

-- Requests counted per limit and client in fixed windows, shared by every server
-- instance on this database; rows of past windows are pruned.
CREATE TABLE rate_counts (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_counts_window_start_idx ON rate_counts(window_start);
