ALTER TABLE api_tokens DROP COLUMN client;
ALTER TABLE api_tokens DROP COLUMN last_used_at;
ALTER TABLE api_tokens DROP COLUMN kind;
