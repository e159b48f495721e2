DROP INDEX entities_kind_idx;
DROP INDEX sample_tests_judgment_idx;
DROP INDEX samples_due_on_idx;
DROP INDEX samples_received_at_idx;
DROP INDEX samples_reported_at_idx;
DROP INDEX samples_stats_idx;
