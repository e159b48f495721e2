-- Public participation: 你点我检 nominations from residents (no account), the supports
-- they gather (one per device), and the samples they led to (postgres).
CREATE TABLE nominations (
    id BIGSERIAL PRIMARY KEY,
    tracking_code TEXT NOT NULL UNIQUE,
    product TEXT NOT NULL,
    place TEXT NOT NULL,
    region_code TEXT REFERENCES regions(code),
    reason TEXT NOT NULL,
    -- A resident's phone or e-mail, if given: seen by supervisors only, never public.
    contact TEXT,
    status TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'sampled', 'declined', 'merged')),
    plan_id BIGINT REFERENCES plans(id),
    merged_into BIGINT REFERENCES nominations(id),
    decision_note TEXT,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    supports INTEGER NOT NULL DEFAULT 0,
    submitted_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX nominations_status_idx ON nominations(status, region_code);

-- One support per device: the SHA-256 of the device's random identifier under the
-- server secret, never the identifier itself.
CREATE TABLE nomination_supports (
    nomination_id BIGINT NOT NULL REFERENCES nominations(id),
    device_hash TEXT NOT NULL,
    supported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (nomination_id, device_hash)
);

CREATE TABLE nomination_samples (
    nomination_id BIGINT NOT NULL REFERENCES nominations(id),
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    linked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (nomination_id, sample_id)
);

-- 你送我检: a resident's own item screened with rapid tests at the counter. Not a sample:
-- no entity, no legal conclusion, no disposal case.
CREATE TABLE screenings (
    id BIGSERIAL PRIMARY KEY,
    screening_no TEXT NOT NULL UNIQUE,
    item_name TEXT NOT NULL,
    item_source TEXT NOT NULL DEFAULT '',
    region_code TEXT NOT NULL REFERENCES regions(code),
    received_by BIGINT NOT NULL REFERENCES users(id),
    received_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE screening_results (
    id BIGSERIAL PRIMARY KEY,
    screening_id BIGINT NOT NULL REFERENCES screenings(id),
    test_name TEXT NOT NULL,
    method TEXT NOT NULL,
    result_text TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('negative', 'positive', 'suspicious')),
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX screening_results_idx ON screening_results(screening_id);
