-- Lab work: tests (one test item on one sample, with its copied limit), the history of
-- attempts, reports and their numbers, retention of backup portions (PostgreSQL).
CREATE TABLE sample_tests (
    id BIGSERIAL PRIMARY KEY,
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    test_item_id BIGINT NOT NULL REFERENCES test_items(id),
    name TEXT NOT NULL,
    method_standard TEXT NOT NULL,
    judgment_standard TEXT NOT NULL,
    limit_kind TEXT NOT NULL,
    limit_min TEXT,
    limit_max TEXT,
    unit TEXT NOT NULL,
    lod TEXT,
    micro_n INTEGER,
    micro_c INTEGER,
    assignee_id BIGINT REFERENCES users(id),
    due_on DATE,
    status TEXT NOT NULL CHECK (status IN ('assigned', 'entered', 'accepted', 'retest')),
    attempt INTEGER NOT NULL DEFAULT 1,
    result_text TEXT,
    result_value TEXT,
    result_unit TEXT,
    result_lod TEXT,
    judgment TEXT CHECK (judgment IN ('pass', 'fail')),
    entered_by BIGINT REFERENCES users(id),
    entered_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at TIMESTAMP,
    review_note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (sample_id, test_item_id)
);
CREATE INDEX sample_tests_assignee_idx ON sample_tests(assignee_id, status);
CREATE INDEX sample_tests_sample_idx ON sample_tests(sample_id);

CREATE TABLE test_attempts (
    id BIGSERIAL PRIMARY KEY,
    test_id BIGINT NOT NULL REFERENCES sample_tests(id),
    attempt INTEGER NOT NULL,
    result_text TEXT NOT NULL,
    result_value TEXT,
    result_unit TEXT,
    result_lod TEXT,
    judgment TEXT,
    entered_by BIGINT NOT NULL REFERENCES users(id),
    entered_at TIMESTAMP NOT NULL,
    reviewed_by BIGINT NOT NULL REFERENCES users(id),
    reviewed_at TIMESTAMP NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'retest')),
    note TEXT,
    UNIQUE (test_id, attempt)
);

CREATE TABLE report_sequences (
    year INTEGER PRIMARY KEY,
    last_value INTEGER NOT NULL
);

CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    report_no TEXT NOT NULL UNIQUE,
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    conclusion TEXT NOT NULL CHECK (conclusion IN ('compliant', 'non_compliant')),
    issued_at TIMESTAMP NOT NULL,
    signatory_id BIGINT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL CHECK (status IN ('valid', 'superseded', 'revoked')),
    supersedes TEXT,
    pdf_sha256 TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX reports_sample_idx ON reports(sample_id);

CREATE TABLE retentions (
    sample_id BIGINT PRIMARY KEY REFERENCES samples(id),
    place TEXT NOT NULL,
    keep_until DATE,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL,
    discarded_at TIMESTAMP,
    discarded_by BIGINT REFERENCES users(id),
    discard_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
