-- Intake: plans, sampled entities, samples, their samplers, per-county sequences (SQLite).
CREATE TABLE plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('national', 'provincial', 'prefectural', 'county')),
    kind TEXT NOT NULL CHECK (kind IN ('supervision', 'risk_monitoring', 'evaluation', 'public_request')),
    domain TEXT NOT NULL CHECK (domain IN ('food', 'drug', 'cosmetic', 'device')),
    region_code TEXT NOT NULL REFERENCES regions(code),
    target_batches INTEGER NOT NULL,
    starts_on DATE,
    ends_on DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX plans_year_idx ON plans(year);

CREATE TABLE entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    uscc TEXT NOT NULL UNIQUE,
    license_no TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('producer', 'distributor', 'catering', 'online', 'market', 'other')),
    address TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    contact TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX entities_name_idx ON entities(name);
CREATE INDEX entities_region_idx ON entities(region_code);

CREATE TABLE sample_sequences (
    year INTEGER NOT NULL,
    county_code TEXT NOT NULL,
    last_value INTEGER NOT NULL,
    PRIMARY KEY (year, county_code)
);

CREATE TABLE samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    sample_no TEXT NOT NULL UNIQUE,
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    entity_id BIGINT NOT NULL REFERENCES entities(id),
    domain TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories(code),
    product_name TEXT NOT NULL,
    brand TEXT,
    specification TEXT,
    batch_no TEXT,
    production_date DATE,
    shelf_life TEXT,
    manufacturer TEXT,
    manufacturer_address TEXT,
    stage TEXT NOT NULL CHECK (stage IN ('production', 'circulation', 'catering', 'online')),
    sampled_at TIMESTAMP NOT NULL,
    place TEXT,
    quantity TEXT NOT NULL,
    unit TEXT NOT NULL,
    backup_quantity TEXT,
    storage TEXT NOT NULL CHECK (storage IN ('ambient', 'chilled', 'frozen')),
    price TEXT,
    notes TEXT,
    status TEXT NOT NULL CHECK (status IN ('registered', 'received', 'rejected', 'testing', 'review', 'reported')),
    conclusion TEXT NOT NULL CHECK (conclusion IN ('pending', 'compliant', 'non_compliant')),
    region_code TEXT NOT NULL REFERENCES regions(code),
    registered_by BIGINT NOT NULL REFERENCES users(id),
    registered_at TIMESTAMP NOT NULL,
    delivery_due_on DATE,
    delivery_due_provisional BOOLEAN NOT NULL DEFAULT 0,
    received_at TIMESTAMP,
    received_by BIGINT REFERENCES users(id),
    seal_intact BOOLEAN,
    condition_ok BOOLEAN,
    receipt_note TEXT,
    reject_reason TEXT,
    delivered_late BOOLEAN,
    due_on DATE,
    due_provisional BOOLEAN NOT NULL DEFAULT 0,
    reported_at TIMESTAMP,
    report_no TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX samples_status_idx ON samples(status);
CREATE INDEX samples_region_idx ON samples(region_code);
CREATE INDEX samples_plan_idx ON samples(plan_id);
CREATE INDEX samples_entity_idx ON samples(entity_id);
CREATE INDEX samples_sampled_at_idx ON samples(sampled_at);

CREATE TABLE sample_samplers (
    sample_id BIGINT NOT NULL REFERENCES samples(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (sample_id, user_id)
);
CREATE INDEX sample_samplers_user_idx ON sample_samplers(user_id);
