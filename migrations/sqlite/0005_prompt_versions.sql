-- Prompt recordings admins upload: every upload is a version, one per prompt
-- is active. `wav` is what gateways play (8 kHz mono 16-bit PCM); `original`
-- is the file as uploaded, kept so a better conversion can be redone later.
CREATE TABLE prompt_versions (
    id              INTEGER PRIMARY KEY,
    language        TEXT NOT NULL,
    prompt_key      TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    wav             BLOB NOT NULL,
    duration_ms     INTEGER NOT NULL,
    original        BLOB NOT NULL,
    original_format TEXT NOT NULL,
    synthetic       INTEGER NOT NULL DEFAULT 0,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX prompt_versions_by_prompt ON prompt_versions (language, prompt_key, id);
CREATE UNIQUE INDEX prompt_versions_one_active ON prompt_versions (language, prompt_key) WHERE active = 1;
