-- Disposal (核查处置): one case per non-compliant sample (or a lighter follow-up case for a
-- risk-monitoring problem sample), its steps as events, and completion extensions (SQLite).
CREATE TABLE disposal_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    sample_id BIGINT NOT NULL UNIQUE REFERENCES samples(id),
    report_no TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('disposal', 'follow_up')),
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    plan_kind TEXT NOT NULL,
    plan_level TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    outcome TEXT CHECK (outcome IN ('completed', 'overturned')),
    opened_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    due_on DATE,
    extended_until DATE,
    extension_requested_until DATE,
    extension_reason TEXT,
    extension_requested_by BIGINT,
    extension_approved_by BIGINT,
    -- Kept by every write so that the rates are one aggregate query (SPEC §6):
    -- the Asia/Shanghai date of the first risk-control, recall or investigation step,
    -- and the date the case closed.
    started_on DATE,
    closed_on DATE,
    -- The public disposal information (rules.md §e.2), as JSON, once published.
    public_info TEXT,
    published_at TIMESTAMP,
    published_by BIGINT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX disposal_cases_region_idx ON disposal_cases(region_code, status);
CREATE INDEX disposal_cases_opened_idx ON disposal_cases(opened_at);

CREATE TABLE disposal_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES disposal_cases(id),
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    upheld BOOLEAN,
    accepted BOOLEAN,
    recall_level INTEGER,
    note TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX disposal_events_case_idx ON disposal_events(case_id);

-- Evidence filed with a step: the served notice, the penalty decision, recall records
-- (PDF or image), with the SHA-256 of the bytes as received.
CREATE TABLE disposal_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    case_id BIGINT NOT NULL REFERENCES disposal_cases(id),
    event_id BIGINT NOT NULL REFERENCES disposal_events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX disposal_attachments_event_idx ON disposal_attachments(event_id);
CREATE INDEX disposal_cases_kind_idx ON disposal_cases(kind, region_code, plan_level, opened_at);
