-- Statistics at scale, second part (SPEC §7, §10): the dashboard's remaining figures read
-- monthly counts too, kept by triggers on `samples` like `sample_counts` (000008).
--
-- `category_counts`: batches, concluded and non-compliant batches per local month of
--   sampling, county, domain and top-level category (`01.02` → `01`), of the plans that
--   are not risk monitoring (the figure by category keeps risk monitoring apart);
--   rejected samples are not counted. A plan changed to or from risk monitoring moves its
--   samples' counts.
-- `report_counts`: reports per local month of issue, county, domain, turnaround in
--   working days, whether that count was provisional, and whether the report met the
--   sample's deadline.
-- `receipt_counts`: samples per local month of receipt, county, domain and whether they
--   reached the lab late.
-- Each holds a few rows per county and month; a figure filtered by category (or, for
-- `category_counts`, by plan) reads `samples` instead.
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
    domain TEXT NOT NULL,
    category TEXT NOT NULL,
    batches BIGINT NOT NULL,
    concluded BIGINT NOT NULL,
    non_compliant BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, category)
);

INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, domain, substr(category_code, 1, instr(category_code || '.', '.') - 1),
       COUNT(*), SUM(conclusion <> 'pending'), SUM(conclusion = 'non_compliant')
FROM samples WHERE status <> 'rejected' AND (SELECT kind FROM plans WHERE id = plan_id) IS NOT 'risk_monitoring'
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER category_counts_insert AFTER INSERT ON samples
WHEN NEW.status <> 'rejected' AND (SELECT kind FROM plans WHERE id = NEW.plan_id) IS NOT 'risk_monitoring'
BEGIN
    INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
    VALUES (strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.domain, substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
            1, NEW.conclusion <> 'pending', NEW.conclusion = 'non_compliant')
    ON CONFLICT (month, region_code, domain, category)
    DO UPDATE SET batches = batches + excluded.batches, concluded = concluded + excluded.concluded,
                  non_compliant = non_compliant + excluded.non_compliant;
END;

CREATE TRIGGER category_counts_update AFTER UPDATE OF sampled_at, region_code, plan_id, domain, category_code, conclusion, status ON samples
WHEN OLD.sampled_at IS NOT NEW.sampled_at OR OLD.region_code IS NOT NEW.region_code
    OR OLD.plan_id IS NOT NEW.plan_id OR OLD.domain IS NOT NEW.domain
    OR OLD.category_code IS NOT NEW.category_code OR OLD.conclusion IS NOT NEW.conclusion
    OR (OLD.status = 'rejected') <> (NEW.status = 'rejected')
BEGIN
    UPDATE category_counts SET batches = batches - 1,
        concluded = concluded - (OLD.conclusion <> 'pending'),
        non_compliant = non_compliant - (OLD.conclusion = 'non_compliant')
    WHERE OLD.status <> 'rejected' AND (SELECT kind FROM plans WHERE id = OLD.plan_id) IS NOT 'risk_monitoring'
      AND month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1);
    INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
    SELECT strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.domain, substr(NEW.category_code, 1, instr(NEW.category_code || '.', '.') - 1),
           1, NEW.conclusion <> 'pending', NEW.conclusion = 'non_compliant'
    WHERE NEW.status <> 'rejected' AND (SELECT kind FROM plans WHERE id = NEW.plan_id) IS NOT 'risk_monitoring'
    ON CONFLICT (month, region_code, domain, category)
    DO UPDATE SET batches = batches + excluded.batches, concluded = concluded + excluded.concluded,
                  non_compliant = non_compliant + excluded.non_compliant;
END;

CREATE TRIGGER category_counts_delete AFTER DELETE ON samples
WHEN OLD.status <> 'rejected' AND (SELECT kind FROM plans WHERE id = OLD.plan_id) IS NOT 'risk_monitoring'
BEGIN
    UPDATE category_counts SET batches = batches - 1,
        concluded = concluded - (OLD.conclusion <> 'pending'),
        non_compliant = non_compliant - (OLD.conclusion = 'non_compliant')
    WHERE month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain AND category = substr(OLD.category_code, 1, instr(OLD.category_code || '.', '.') - 1);
END;

-- A plan that becomes risk monitoring takes its samples out of the counts; one that
-- stops being risk monitoring puts them in.
CREATE TRIGGER category_counts_plan_kind AFTER UPDATE OF kind ON plans
WHEN (OLD.kind = 'risk_monitoring') <> (NEW.kind = 'risk_monitoring')
BEGIN
    INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
    SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, domain, substr(category_code, 1, instr(category_code || '.', '.') - 1),
           n * COUNT(*), n * SUM(conclusion <> 'pending'), n * SUM(conclusion = 'non_compliant')
    FROM samples, (SELECT CASE WHEN NEW.kind = 'risk_monitoring' THEN -1 ELSE 1 END AS n)
    WHERE plan_id = NEW.id AND status <> 'rejected'
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (month, region_code, domain, category)
    DO UPDATE SET batches = batches + excluded.batches, concluded = concluded + excluded.concluded,
                  non_compliant = non_compliant + excluded.non_compliant;
END;

CREATE TABLE report_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    turnaround_days BIGINT NOT NULL,
    provisional BOOLEAN NOT NULL,
    on_time BOOLEAN NOT NULL,
    reports BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, turnaround_days, provisional, on_time)
);

CREATE TRIGGER report_counts_insert AFTER INSERT ON samples
WHEN NEW.reported_at IS NOT NULL AND NEW.received_at IS NOT NULL AND NEW.turnaround_days IS NOT NULL
BEGIN
    INSERT INTO report_counts (month, region_code, domain, turnaround_days, provisional, on_time, reports)
    VALUES (strftime('%Y-%m', NEW.reported_at, '+8 hours'), NEW.region_code, NEW.domain,
            NEW.turnaround_days, NEW.turnaround_provisional,
            COALESCE(date(NEW.reported_at, '+8 hours') <= NEW.due_on, 0), 1)
    ON CONFLICT (month, region_code, domain, turnaround_days, provisional, on_time)
    DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER report_counts_update AFTER UPDATE OF reported_at, received_at, region_code, domain, turnaround_days, turnaround_provisional, due_on ON samples
WHEN OLD.reported_at IS NOT NEW.reported_at OR OLD.received_at IS NOT NEW.received_at
    OR OLD.region_code IS NOT NEW.region_code OR OLD.domain IS NOT NEW.domain
    OR OLD.turnaround_days IS NOT NEW.turnaround_days
    OR OLD.turnaround_provisional IS NOT NEW.turnaround_provisional OR OLD.due_on IS NOT NEW.due_on
BEGIN
    UPDATE report_counts SET reports = reports - 1
    WHERE OLD.reported_at IS NOT NULL AND OLD.received_at IS NOT NULL AND OLD.turnaround_days IS NOT NULL
      AND month = strftime('%Y-%m', OLD.reported_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND turnaround_days = OLD.turnaround_days AND provisional = OLD.turnaround_provisional
      AND on_time = COALESCE(date(OLD.reported_at, '+8 hours') <= OLD.due_on, 0);
    INSERT INTO report_counts (month, region_code, domain, turnaround_days, provisional, on_time, reports)
    SELECT strftime('%Y-%m', NEW.reported_at, '+8 hours'), NEW.region_code, NEW.domain,
           NEW.turnaround_days, NEW.turnaround_provisional,
           COALESCE(date(NEW.reported_at, '+8 hours') <= NEW.due_on, 0), 1
    WHERE NEW.reported_at IS NOT NULL AND NEW.received_at IS NOT NULL AND NEW.turnaround_days IS NOT NULL
    ON CONFLICT (month, region_code, domain, turnaround_days, provisional, on_time)
    DO UPDATE SET reports = reports + 1;
END;

CREATE TRIGGER report_counts_delete AFTER DELETE ON samples
WHEN OLD.reported_at IS NOT NULL AND OLD.received_at IS NOT NULL AND OLD.turnaround_days IS NOT NULL
BEGIN
    UPDATE report_counts SET reports = reports - 1
    WHERE month = strftime('%Y-%m', OLD.reported_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND turnaround_days = OLD.turnaround_days AND provisional = OLD.turnaround_provisional
      AND on_time = COALESCE(date(OLD.reported_at, '+8 hours') <= OLD.due_on, 0);
END;

CREATE TABLE receipt_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    late BOOLEAN NOT NULL,
    received BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, late)
);

INSERT INTO receipt_counts (month, region_code, domain, late, received)
SELECT strftime('%Y-%m', received_at, '+8 hours'), region_code, domain, COALESCE(delivered_late, 0), COUNT(*)
FROM samples WHERE received_at IS NOT NULL
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER receipt_counts_insert AFTER INSERT ON samples
WHEN NEW.received_at IS NOT NULL
BEGIN
    INSERT INTO receipt_counts (month, region_code, domain, late, received)
    VALUES (strftime('%Y-%m', NEW.received_at, '+8 hours'), NEW.region_code, NEW.domain,
            COALESCE(NEW.delivered_late, 0), 1)
    ON CONFLICT (month, region_code, domain, late)
    DO UPDATE SET received = received + 1;
END;

CREATE TRIGGER receipt_counts_update AFTER UPDATE OF received_at, region_code, domain, delivered_late ON samples
WHEN OLD.received_at IS NOT NEW.received_at OR OLD.region_code IS NOT NEW.region_code
    OR OLD.domain IS NOT NEW.domain OR OLD.delivered_late IS NOT NEW.delivered_late
BEGIN
    UPDATE receipt_counts SET received = received - 1
    WHERE OLD.received_at IS NOT NULL
      AND month = strftime('%Y-%m', OLD.received_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND late = COALESCE(OLD.delivered_late, 0);
    INSERT INTO receipt_counts (month, region_code, domain, late, received)
    SELECT strftime('%Y-%m', NEW.received_at, '+8 hours'), NEW.region_code, NEW.domain,
           COALESCE(NEW.delivered_late, 0), 1
    WHERE NEW.received_at IS NOT NULL
    ON CONFLICT (month, region_code, domain, late)
    DO UPDATE SET received = received + 1;
END;

CREATE TRIGGER receipt_counts_delete AFTER DELETE ON samples
WHEN OLD.received_at IS NOT NULL
BEGIN
    UPDATE receipt_counts SET received = received - 1
    WHERE month = strftime('%Y-%m', OLD.received_at, '+8 hours') AND region_code = OLD.region_code
      AND domain = OLD.domain
      AND late = COALESCE(OLD.delivered_late, 0);
END;

-- The days at the ends of a period are read from `samples`: covering indexes, so a
-- month's reports and receipts are read from the index alone.
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at, received_at, region_code, domain, category_code, turnaround_days, turnaround_provisional, due_on);
-- Reports still without a stored turnaround (written before this migration).
CREATE INDEX samples_turnaround_missing_idx ON samples(reported_at)
WHERE reported_at IS NOT NULL AND turnaround_days IS NULL;
-- Drug producer coverage asks, per producer, whether it was ever sampled in the drug
-- domain and whether in the period: answered from this index alone.
DROP INDEX samples_entity_idx;
CREATE INDEX samples_entity_idx ON samples(entity_id, domain, sampled_at, status);
-- The overdue lists ask for a few open statuses past their deadline: by status first.
DROP INDEX samples_due_on_idx;
CREATE INDEX samples_due_on_idx ON samples(status, due_on);
