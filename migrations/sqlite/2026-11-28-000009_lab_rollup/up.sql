-- Statistics at scale, second part (SPEC §7, §10): the dashboard's remaining figures read
-- monthly counts too, kept by triggers on `samples` like `sample_counts` (000008).
--
-- `category_counts`: batches per local month of sampling, county, plan, domain,
--   top-level category (`01.02` → `01`) and conclusion; rejected samples not counted.
-- `report_counts`: reports per local month of issue, county, domain, top-level category,
--   turnaround in working days, whether that count was provisional, and whether the
--   report met the sample's deadline.
-- `receipt_counts`: samples per local month of receipt, county, domain, top-level
--   category and whether they reached the lab late.
--
-- The turnaround is stored on the sample (`turnaround_days`, working days from local
-- receipt day to local report day on the bureau's calendar) when the report is issued,
-- because SQL cannot count working days; reloading a calendar year recounts it. A report
-- without it (a row written before this migration) is counted from its dates instead.

ALTER TABLE samples ADD COLUMN turnaround_days BIGINT;
ALTER TABLE samples ADD COLUMN turnaround_provisional BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE category_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    plan_id BIGINT NOT NULL,
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    batches BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, plan_id, domain, category, conclusion)
);

INSERT INTO category_counts (month, region_code, plan_id, domain, category, conclusion, batches)
SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, plan_id, domain,
       substr(category_code, 1, instr(category_code || '.', '.') - 1), conclusion, COUNT(*)
FROM samples WHERE status <> 'rejected'
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER category_counts_insert AFTER INSERT ON samples
WHEN NEW.status <> 'rejected'
BEGIN
    INSERT INTO category_counts (month, region_code, plan_id, domain, category, conclusion, batches)
    VALUES (strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.plan_id, NEW.domain,
            substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1), NEW.conclusion, 1)
    ON CONFLICT (month, region_code, plan_id, domain, category, conclusion)
    DO UPDATE SET batches = batches + 1;
END;

CREATE TRIGGER category_counts_update AFTER UPDATE OF sampled_at, region_code, plan_id, domain, category_code, conclusion, status ON samples
WHEN OLD.sampled_at IS NOT NEW.sampled_at OR OLD.region_code IS NOT NEW.region_code
    OR OLD.plan_id IS NOT NEW.plan_id OR OLD.domain IS NOT NEW.domain
    OR OLD.category_code IS NOT NEW.category_code OR OLD.conclusion IS NOT NEW.conclusion
    OR (OLD.status = 'rejected') <> (NEW.status = 'rejected')
BEGIN
    UPDATE category_counts SET batches = batches - 1
    WHERE OLD.status <> 'rejected'
      AND month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND plan_id = OLD.plan_id AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND conclusion = OLD.conclusion;
    INSERT INTO category_counts (month, region_code, plan_id, domain, category, conclusion, batches)
    SELECT strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.plan_id, NEW.domain,
           substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1), NEW.conclusion, 1
    WHERE NEW.status <> 'rejected'
    ON CONFLICT (month, region_code, plan_id, domain, category, conclusion)
    DO UPDATE SET batches = batches + 1;
END;

CREATE TRIGGER category_counts_delete AFTER DELETE ON samples
WHEN OLD.status <> 'rejected'
BEGIN
    UPDATE category_counts SET batches = batches - 1
    WHERE month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND plan_id = OLD.plan_id AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND conclusion = OLD.conclusion;
END;

CREATE TABLE report_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    turnaround_days BIGINT NOT NULL,
    provisional BOOLEAN NOT NULL,
    on_time BOOLEAN NOT NULL,
    reports BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, category, turnaround_days, provisional, on_time)
);

CREATE TRIGGER report_counts_insert AFTER INSERT ON samples
WHEN NEW.reported_at IS NOT NULL AND NEW.received_at IS NOT NULL AND NEW.turnaround_days IS NOT NULL
BEGIN
    INSERT INTO report_counts (month, region_code, domain, category, turnaround_days, provisional, on_time, reports)
    VALUES (strftime('%Y-%m', NEW.reported_at, '+8 hours'), NEW.region_code, NEW.domain,
            substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
            NEW.turnaround_days, NEW.turnaround_provisional,
            COALESCE(date(NEW.reported_at, '+8 hours') <= NEW.due_on, 0), 1)
    ON CONFLICT (month, region_code, domain, category, turnaround_days, provisional, on_time)
    DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER report_counts_update AFTER UPDATE OF reported_at, received_at, region_code, domain, category_code, turnaround_days, turnaround_provisional, due_on ON samples
WHEN OLD.reported_at IS NOT NEW.reported_at OR OLD.received_at IS NOT NEW.received_at
    OR OLD.region_code IS NOT NEW.region_code OR OLD.domain IS NOT NEW.domain
    OR OLD.category_code IS NOT NEW.category_code OR OLD.turnaround_days IS NOT NEW.turnaround_days
    OR OLD.turnaround_provisional IS NOT NEW.turnaround_provisional OR OLD.due_on IS NOT NEW.due_on
BEGIN
    UPDATE report_counts SET reports = reports - 1
    WHERE OLD.reported_at IS NOT NULL AND OLD.received_at IS NOT NULL AND OLD.turnaround_days IS NOT NULL
      AND month = strftime('%Y-%m', OLD.reported_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND turnaround_days = OLD.turnaround_days AND provisional = OLD.turnaround_provisional
      AND on_time = COALESCE(date(OLD.reported_at, '+8 hours') <= OLD.due_on, 0);
    INSERT INTO report_counts (month, region_code, domain, category, turnaround_days, provisional, on_time, reports)
    SELECT strftime('%Y-%m', NEW.reported_at, '+8 hours'), NEW.region_code, NEW.domain,
           substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
           NEW.turnaround_days, NEW.turnaround_provisional,
           COALESCE(date(NEW.reported_at, '+8 hours') <= NEW.due_on, 0), 1
    WHERE NEW.reported_at IS NOT NULL AND NEW.received_at IS NOT NULL AND NEW.turnaround_days IS NOT NULL
    ON CONFLICT (month, region_code, domain, category, turnaround_days, provisional, on_time)
    DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER report_counts_delete AFTER DELETE ON samples
WHEN OLD.reported_at IS NOT NULL AND OLD.received_at IS NOT NULL AND OLD.turnaround_days IS NOT NULL
BEGIN
    UPDATE report_counts SET reports = reports - 1
    WHERE month = strftime('%Y-%m', OLD.reported_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND turnaround_days = OLD.turnaround_days AND provisional = OLD.turnaround_provisional
      AND on_time = COALESCE(date(OLD.reported_at, '+8 hours') <= OLD.due_on, 0);
END;

CREATE TABLE receipt_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    late BOOLEAN NOT NULL,
    received BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, category, late)
);

INSERT INTO receipt_counts (month, region_code, domain, category, late, received)
SELECT strftime('%Y-%m', received_at, '+8 hours'), region_code, domain,
       substr(category_code, 1, instr(category_code || '.', '.') - 1), COALESCE(delivered_late, 0), COUNT(*)
FROM samples WHERE received_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

CREATE TRIGGER receipt_counts_insert AFTER INSERT ON samples
WHEN NEW.received_at IS NOT NULL
BEGIN
    INSERT INTO receipt_counts (month, region_code, domain, category, late, received)
    VALUES (strftime('%Y-%m', NEW.received_at, '+8 hours'), NEW.region_code, NEW.domain,
            substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
            COALESCE(NEW.delivered_late, 0), 1)
    ON CONFLICT (month, region_code, domain, category, late)
    DO UPDATE SET received = received + 1;
END;

CREATE TRIGGER receipt_counts_update AFTER UPDATE OF received_at, region_code, domain, category_code, delivered_late ON samples
WHEN OLD.received_at IS NOT NEW.received_at OR OLD.region_code IS NOT NEW.region_code
    OR OLD.domain IS NOT NEW.domain OR OLD.category_code IS NOT NEW.category_code
    OR OLD.delivered_late IS NOT NEW.delivered_late
BEGIN
    UPDATE receipt_counts SET received = received - 1
    WHERE OLD.received_at IS NOT NULL
      AND month = strftime('%Y-%m', OLD.received_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND late = COALESCE(OLD.delivered_late, 0);
    INSERT INTO receipt_counts (month, region_code, domain, category, late, received)
    SELECT strftime('%Y-%m', NEW.received_at, '+8 hours'), NEW.region_code, NEW.domain,
           substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
           COALESCE(NEW.delivered_late, 0), 1
    WHERE NEW.received_at IS NOT NULL
    ON CONFLICT (month, region_code, domain, category, late)
    DO UPDATE SET received = received + 1;
END;

CREATE TRIGGER receipt_counts_delete AFTER DELETE ON samples
WHEN OLD.received_at IS NOT NULL
BEGIN
    UPDATE receipt_counts SET received = received - 1
    WHERE month = strftime('%Y-%m', OLD.received_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1)
      AND late = COALESCE(OLD.delivered_late, 0);
END;

-- The days at the ends of a period are read from `samples`: covering indexes, so a
-- month's reports and receipts are read from the index alone.
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at, received_at, region_code, domain, category_code, turnaround_days, turnaround_provisional, due_on);
-- Reports still without a stored turnaround (written before this migration).
CREATE INDEX samples_turnaround_missing_idx ON samples(reported_at)
WHERE reported_at IS NOT NULL AND turnaround_days IS NULL;
