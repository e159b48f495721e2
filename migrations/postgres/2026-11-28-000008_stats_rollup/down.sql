DROP INDEX samples_received_at_idx;
CREATE INDEX samples_received_at_idx ON samples(received_at);
DROP INDEX samples_reported_at_idx;
CREATE INDEX samples_reported_at_idx ON samples(reported_at);
DROP TRIGGER sample_counts_update ON samples;
DROP TRIGGER sample_counts_insert_delete ON samples;
DROP FUNCTION sample_counts_keep();
DROP FUNCTION sample_counts_add(samples, BIGINT);
DROP TABLE sample_counts;
