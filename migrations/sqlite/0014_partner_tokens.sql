-- Read-only tokens for partners' systems (`GET /api/v1/people`), each
-- scoped to one unit's people. Only the token's SHA-256 is kept.
CREATE TABLE partner_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
