-- Login sessions are rows beside the API tokens (kind 'session'), so that a logout,
-- a password change, a role or scope change and a deactivation end them at once on
-- every server instance. last_used_at is written at most once a minute per row;
-- client is the User-Agent at login, cut to 200 characters.
ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'token' CHECK (kind IN ('session', 'token'));
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN client TEXT;
