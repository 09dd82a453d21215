-- Read-only tokens for partners' systems (`GET /api/v1/people`), each
-- scoped to one unit's people. Only the token's SHA-256 is kept.
CREATE TABLE partner_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    unit_id    BIGINT NOT NULL REFERENCES units (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
