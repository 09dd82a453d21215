-- no-transaction
-- A new role, `central`: the central office sees rollups without personal
-- data. SQLite cannot change a CHECK in place, so `users` is rebuilt, with
-- foreign keys off while it is (they cannot be turned off inside a
-- transaction, hence no-transaction and BEGIN here). Run twice after a crash
-- between COMMIT and the migration's record, it rebuilds the table again.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_with_central (
    id                INTEGER PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    role              TEXT NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'admin', 'central')),
    password_hash     TEXT NOT NULL,
    phone             TEXT,                 -- the volunteer's own phone, rung first by "Call now"
    disabled_at       TEXT,
    created_at        TEXT NOT NULL,
    password_reset_at TEXT
);
INSERT INTO users_with_central (id, username, role, password_hash, phone, disabled_at, created_at, password_reset_at)
    SELECT id, username, role, password_hash, phone, disabled_at, created_at, password_reset_at FROM users;
DROP TABLE users;
ALTER TABLE users_with_central RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
