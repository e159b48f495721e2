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
ALTER TABLE samples ADD COLUMN turnaround_provisional BOOLEAN NOT NULL DEFAULT FALSE;

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
SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain,
       split_part(category_code, '.', 1), COUNT(*),
       COUNT(*) FILTER (WHERE conclusion <> 'pending'), COUNT(*) FILTER (WHERE conclusion = 'non_compliant')
FROM samples WHERE status <> 'rejected'
  AND plan_id NOT IN (SELECT id FROM plans WHERE kind = 'risk_monitoring')
GROUP BY 1, 2, 3, 4;

CREATE FUNCTION category_counts_add(s samples, n BIGINT) RETURNS void AS $$
    INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
    SELECT to_char(s.sampled_at + INTERVAL '8 hours', 'YYYY-MM'), s.region_code, s.domain,
           split_part(s.category_code, '.', 1), n,
           CASE WHEN s.conclusion <> 'pending' THEN n ELSE 0 END,
           CASE WHEN s.conclusion = 'non_compliant' THEN n ELSE 0 END
    WHERE s.status <> 'rejected'
      AND (SELECT kind FROM plans WHERE id = s.plan_id) IS DISTINCT FROM 'risk_monitoring'
    ON CONFLICT (month, region_code, domain, category)
    DO UPDATE SET batches = category_counts.batches + EXCLUDED.batches,
                  concluded = category_counts.concluded + EXCLUDED.concluded,
                  non_compliant = category_counts.non_compliant + EXCLUDED.non_compliant;
$$ LANGUAGE sql;

CREATE FUNCTION category_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM category_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM category_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER category_counts_insert_delete AFTER INSERT OR DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION category_counts_keep();

CREATE TRIGGER category_counts_update AFTER UPDATE OF sampled_at, region_code, plan_id, domain, category_code, conclusion, status ON samples
FOR EACH ROW
WHEN ((OLD.sampled_at, OLD.region_code, OLD.plan_id, OLD.domain, OLD.category_code, OLD.conclusion, OLD.status = 'rejected')
      IS DISTINCT FROM (NEW.sampled_at, NEW.region_code, NEW.plan_id, NEW.domain, NEW.category_code, NEW.conclusion, NEW.status = 'rejected'))
EXECUTE FUNCTION category_counts_keep();

-- A plan that becomes risk monitoring takes its samples out of the counts; one that
-- stops being risk monitoring puts them in.
CREATE FUNCTION category_counts_plan_kind() RETURNS trigger AS $$
BEGIN
    INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant)
    SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain,
           split_part(category_code, '.', 1), d * COUNT(*),
           d * COUNT(*) FILTER (WHERE conclusion <> 'pending'),
           d * COUNT(*) FILTER (WHERE conclusion = 'non_compliant')
    FROM samples, (SELECT CASE WHEN NEW.kind = 'risk_monitoring' THEN -1 ELSE 1 END AS d) k
    WHERE plan_id = NEW.id AND status <> 'rejected'
    GROUP BY 1, 2, 3, 4, d
    ON CONFLICT (month, region_code, domain, category)
    DO UPDATE SET batches = category_counts.batches + EXCLUDED.batches,
                  concluded = category_counts.concluded + EXCLUDED.concluded,
                  non_compliant = category_counts.non_compliant + EXCLUDED.non_compliant;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER category_counts_plan_kind AFTER UPDATE OF kind ON plans
FOR EACH ROW
WHEN ((OLD.kind = 'risk_monitoring') IS DISTINCT FROM (NEW.kind = 'risk_monitoring'))
EXECUTE FUNCTION category_counts_plan_kind();

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

CREATE FUNCTION report_counts_add(s samples, n BIGINT) RETURNS void AS $$
    INSERT INTO report_counts (month, region_code, domain, turnaround_days, provisional, on_time, reports)
    SELECT to_char(s.reported_at + INTERVAL '8 hours', 'YYYY-MM'), s.region_code, s.domain,
           s.turnaround_days, s.turnaround_provisional,
           COALESCE(CAST(s.reported_at + INTERVAL '8 hours' AS DATE) <= s.due_on, FALSE), n
    WHERE s.reported_at IS NOT NULL AND s.received_at IS NOT NULL AND s.turnaround_days IS NOT NULL
    ON CONFLICT (month, region_code, domain, turnaround_days, provisional, on_time)
    DO UPDATE SET reports = report_counts.reports + EXCLUDED.reports;
$$ LANGUAGE sql;

CREATE FUNCTION report_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM report_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM report_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER report_counts_insert_delete AFTER INSERT OR DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION report_counts_keep();

CREATE TRIGGER report_counts_update AFTER UPDATE OF reported_at, received_at, region_code, domain, turnaround_days, turnaround_provisional, due_on ON samples
FOR EACH ROW
WHEN ((OLD.reported_at, OLD.received_at, OLD.region_code, OLD.domain, OLD.turnaround_days, OLD.turnaround_provisional, OLD.due_on)
      IS DISTINCT FROM (NEW.reported_at, NEW.received_at, NEW.region_code, NEW.domain, NEW.turnaround_days, NEW.turnaround_provisional, NEW.due_on))
EXECUTE FUNCTION report_counts_keep();

CREATE TABLE receipt_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    domain TEXT NOT NULL,
    late BOOLEAN NOT NULL,
    received BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, domain, late)
);

INSERT INTO receipt_counts (month, region_code, domain, late, received)
SELECT to_char(received_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain,
       COALESCE(delivered_late, FALSE), COUNT(*)
FROM samples WHERE received_at IS NOT NULL
GROUP BY 1, 2, 3, 4;

CREATE FUNCTION receipt_counts_add(s samples, n BIGINT) RETURNS void AS $$
    INSERT INTO receipt_counts (month, region_code, domain, late, received)
    SELECT to_char(s.received_at + INTERVAL '8 hours', 'YYYY-MM'), s.region_code, s.domain,
           COALESCE(s.delivered_late, FALSE), n
    WHERE s.received_at IS NOT NULL
    ON CONFLICT (month, region_code, domain, late)
    DO UPDATE SET received = receipt_counts.received + EXCLUDED.received;
$$ LANGUAGE sql;

CREATE FUNCTION receipt_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM receipt_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM receipt_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER receipt_counts_insert_delete AFTER INSERT OR DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION receipt_counts_keep();

CREATE TRIGGER receipt_counts_update AFTER UPDATE OF received_at, region_code, domain, delivered_late ON samples
FOR EACH ROW
WHEN ((OLD.received_at, OLD.region_code, OLD.domain, OLD.delivered_late)
      IS DISTINCT FROM (NEW.received_at, NEW.region_code, NEW.domain, NEW.delivered_late))
EXECUTE FUNCTION receipt_counts_keep();

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
