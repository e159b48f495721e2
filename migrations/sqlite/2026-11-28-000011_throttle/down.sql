DROP INDEX rate_counts_window_start_idx;
DROP TABLE rate_counts;
DROP INDEX login_attempts_at_idx;
DROP INDEX login_attempts_client_at_idx;
ALTER TABLE login_attempts DROP COLUMN pending;
ALTER TABLE login_attempts DROP COLUMN client;
