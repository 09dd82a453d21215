-- When an admin set a one-time password the user has not yet replaced with
-- their own (NULL: none). Until they do, a session of theirs reaches only
-- the page where they choose a new password.
ALTER TABLE users ADD COLUMN password_reset_at TIMESTAMPTZ;
