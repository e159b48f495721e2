DROP INDEX samples_received_at_idx;
CREATE INDEX samples_received_at_idx ON samples(received_at);
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at);
DROP TRIGGER sample_counts_delete;
DROP TRIGGER sample_counts_update;
DROP TRIGGER sample_counts_insert;
DROP TABLE sample_counts;
