-- Statistics at scale (SPEC §7, §10): batches per local month, county, plan, domain,
-- stage and conclusion, kept by triggers on `samples` so that no write path can forget
-- it. Rejected samples are not counted (no figure counts them). The sampling rate, the
-- quality figures and the monthly trend read whole months here and only the partial
-- months at the ends of a period from `samples` itself.
CREATE TABLE sample_counts (
    month TEXT NOT NULL,
    region_code TEXT NOT NULL,
    plan_id BIGINT NOT NULL,
    domain TEXT NOT NULL,
    stage TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    batches BIGINT NOT NULL,
    PRIMARY KEY (month, region_code, plan_id, domain, stage, conclusion)
);

INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches)
SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, plan_id, domain, stage, conclusion, COUNT(*)
FROM samples WHERE status <> 'rejected'
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER sample_counts_insert AFTER INSERT ON samples
WHEN NEW.status <> 'rejected'
BEGIN
    INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches)
    VALUES (strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.plan_id,
            NEW.domain, NEW.stage, NEW.conclusion, 1)
    ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion)
    DO UPDATE SET batches = batches + 1;
END;

CREATE TRIGGER sample_counts_update AFTER UPDATE OF sampled_at, region_code, plan_id, domain, stage, conclusion, status ON samples
WHEN OLD.sampled_at IS NOT NEW.sampled_at OR OLD.region_code IS NOT NEW.region_code
    OR OLD.plan_id IS NOT NEW.plan_id OR OLD.domain IS NOT NEW.domain
    OR OLD.stage IS NOT NEW.stage OR OLD.conclusion IS NOT NEW.conclusion
    OR (OLD.status = 'rejected') <> (NEW.status = 'rejected')
BEGIN
    UPDATE sample_counts SET batches = batches - 1
    WHERE OLD.status <> 'rejected'
      AND month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND plan_id = OLD.plan_id AND domain = OLD.domain AND stage = OLD.stage
      AND conclusion = OLD.conclusion;
    INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches)
    SELECT strftime('%Y-%m', NEW.sampled_at, '+8 hours'), NEW.region_code, NEW.plan_id,
           NEW.domain, NEW.stage, NEW.conclusion, 1
    WHERE NEW.status <> 'rejected'
    ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion)
    DO UPDATE SET batches = batches + 1;
END;

CREATE TRIGGER sample_counts_delete AFTER DELETE ON samples
WHEN OLD.status <> 'rejected'
BEGIN
    UPDATE sample_counts SET batches = batches - 1
    WHERE month = strftime('%Y-%m', OLD.sampled_at, '+8 hours') AND region_code = OLD.region_code
      AND plan_id = OLD.plan_id AND domain = OLD.domain AND stage = OLD.stage
      AND conclusion = OLD.conclusion;
END;

-- Lab turnaround reads the reports issued in a period: a covering index instead of
-- one on the report time alone, so a year's reports are read from the index only.
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at, received_at, due_on, region_code, domain, category_code);
-- Delivery to the lab reads the samples received in a period: likewise covering.
DROP INDEX samples_received_at_idx;
CREATE INDEX samples_received_at_idx ON samples(received_at, delivered_late, region_code, domain, category_code);
