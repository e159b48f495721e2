-- Reports as issued documents: the frozen data a report was rendered from, its PDF and
-- hashes, revocation and supersession, publication; the lab's identity printed on every
-- report; batch downloads (SQLite).
ALTER TABLE reports ADD COLUMN data TEXT;
ALTER TABLE reports ADD COLUMN body_sha256 TEXT;
ALTER TABLE reports ADD COLUMN superseded_by TEXT;
ALTER TABLE reports ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN revoked_by BIGINT; -- a user id (SQLite cannot drop a column with a foreign key)
ALTER TABLE reports ADD COLUMN revoke_reason TEXT;
ALTER TABLE reports ADD COLUMN published_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN published_by BIGINT; -- a user id (SQLite cannot drop a column with a foreign key)
CREATE INDEX reports_published_idx ON reports(published_at);

CREATE TABLE report_files (
    report_id BIGINT PRIMARY KEY NOT NULL REFERENCES reports(id),
    pdf BLOB NOT NULL
);

CREATE TABLE lab_profile (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    cma_no TEXT NOT NULL,
    contact TEXT NOT NULL,
    report_title TEXT NOT NULL,
    disclaimer TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE report_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users(id),
    format TEXT NOT NULL CHECK (format IN ('zip', 'pdf')),
    report_nos TEXT NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error TEXT,
    result BLOB,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
