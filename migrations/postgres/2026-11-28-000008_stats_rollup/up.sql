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
SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, plan_id, domain, stage, conclusion, COUNT(*)
FROM samples WHERE status <> 'rejected'
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE FUNCTION sample_counts_add(s samples, n BIGINT) RETURNS void AS $$
    INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches)
    VALUES (to_char(s.sampled_at + INTERVAL '8 hours', 'YYYY-MM'), s.region_code, s.plan_id,
            s.domain, s.stage, s.conclusion, n)
    ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion)
    DO UPDATE SET batches = sample_counts.batches + EXCLUDED.batches;
$$ LANGUAGE sql;

CREATE FUNCTION sample_counts_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'rejected' THEN
        PERFORM sample_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status <> 'rejected' THEN
        PERFORM sample_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER sample_counts_insert_delete AFTER INSERT OR DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION sample_counts_keep();

CREATE TRIGGER sample_counts_update AFTER UPDATE OF sampled_at, region_code, plan_id, domain, stage, conclusion, status ON samples
FOR EACH ROW
WHEN ((OLD.sampled_at, OLD.region_code, OLD.plan_id, OLD.domain, OLD.stage, OLD.conclusion, OLD.status = 'rejected')
      IS DISTINCT FROM (NEW.sampled_at, NEW.region_code, NEW.plan_id, NEW.domain, NEW.stage, NEW.conclusion, NEW.status = 'rejected'))
EXECUTE FUNCTION sample_counts_keep();

-- Lab turnaround reads the reports issued in a period: a covering index instead of
-- one on the report time alone, so a year's reports are read from the index only.
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at, received_at, due_on, region_code, domain, category_code);
-- Delivery to the lab reads the samples received in a period: likewise covering.
DROP INDEX samples_received_at_idx;
CREATE INDEX samples_received_at_idx ON samples(received_at, delivered_late, region_code, domain, category_code);
