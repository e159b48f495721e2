-- Statistics (SPEC §7): indexes that let every figure aggregate in the database.
-- The sampling rate and quality figures read samples by period and region, grouped by
-- region, plan, stage and category: one covering index serves them all.
CREATE INDEX samples_stats_idx ON samples(sampled_at, region_code, domain, status, plan_id, category_code, stage, conclusion);
-- Lab turnaround reads reports issued in the period.
CREATE INDEX samples_reported_at_idx ON samples(reported_at);
-- Delivery to the lab reads samples received in the period.
CREATE INDEX samples_received_at_idx ON samples(received_at);
-- The overdue list reads open samples by deadline.
CREATE INDEX samples_due_on_idx ON samples(due_on, status);
-- The most frequent failing test items.
CREATE INDEX sample_tests_judgment_idx ON sample_tests(judgment, sample_id);
-- Drug producer coverage.
CREATE INDEX entities_kind_idx ON entities(kind, region_code);
