-- Per-user quotas: a user's evidence bytes of one day and a user's open report batches
-- are counted through these; finished batches are found for expiry by the second.
CREATE INDEX disposal_attachments_uploader_idx ON disposal_attachments(uploaded_by, uploaded_at);
CREATE INDEX report_batches_requester_idx ON report_batches(requested_by, status);
CREATE INDEX report_batches_finished_idx ON report_batches(finished_at);
