-- Foundation: reference data, accounts, audit log (SQLite).
CREATE TABLE regions (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent_code TEXT REFERENCES regions(code),
    population BIGINT,
    population_year INTEGER,
    population_source TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX regions_parent_idx ON regions(parent_code);

CREATE TABLE region_populations (
    region_code TEXT NOT NULL REFERENCES regions(code),
    year INTEGER NOT NULL,
    population BIGINT NOT NULL CHECK (population > 0),
    source TEXT NOT NULL,
    PRIMARY KEY (region_code, year)
);

CREATE TABLE holidays (
    day DATE PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL
);

CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    parent_code TEXT REFERENCES categories(code),
    domain TEXT NOT NULL,
    level TEXT NOT NULL,
    verification TEXT NOT NULL,
    note TEXT
);
CREATE INDEX categories_parent_idx ON categories(parent_code);

CREATE TABLE test_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories(code),
    name TEXT NOT NULL,
    method_standard TEXT NOT NULL,
    judgment_standard TEXT NOT NULL,
    limit_kind TEXT NOT NULL CHECK (limit_kind IN ('max', 'min', 'range', 'not_detected', 'qualitative')),
    limit_min TEXT,
    limit_max TEXT,
    unit TEXT NOT NULL,
    lod TEXT,
    micro_n INTEGER,
    micro_c INTEGER,
    verification TEXT NOT NULL,
    note TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX test_items_category_idx ON test_items(category_code);
CREATE UNIQUE INDEX test_items_category_name_idx ON test_items(category_code, name);

CREATE TABLE rule_profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    domain TEXT NOT NULL,
    plan_kind TEXT NOT NULL,
    rules TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (domain, plan_kind)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    region_code TEXT REFERENCES regions(code),
    active BOOLEAN NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user_idx ON api_tokens(user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    success BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_username_at_idx ON login_attempts(username, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log(entity_kind, entity_id);

-- The audit log is append-only: the application never updates or deletes a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
