-- The national database: one person per worker from every source (calls,
-- chats, imported lists, volunteers), with every value a source gave kept
-- beside the person's current one; state units with their members and
-- states; cases belong to people and can be handed from unit to unit.

-- A state office of the organisation, or a partner NGO.
CREATE TABLE units (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,    -- short, as on the command line: 'bihar'
    title      TEXT NOT NULL,           -- as people say it: 'Bihar state unit'
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE unit_states (
    unit_id    BIGINT NOT NULL REFERENCES units (id),
    state_code BIGINT NOT NULL,
    PRIMARY KEY (unit_id, state_code)
);
CREATE TABLE unit_members (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (unit_id, user_id)
);

-- One worker. The phone (E.164) is the key; a person without one (withheld,
-- or a list row with a name only) is a person of their own.
CREATE TABLE people (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone              TEXT,
    name               TEXT,
    language           TEXT,
    home_state_code    BIGINT,
    home_district_code BIGINT,
    village            TEXT,
    ward               TEXT,
    post_office        TEXT,
    pin_code           TEXT,
    current_location   TEXT,
    need               TEXT,
    consent            BOOLEAN,             -- given (a caller agreed, a list collected with consent), or refused
    unit_id            BIGINT REFERENCES units (id),   -- the unit whose list brought them first
    open_conflicts     BIGINT NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX people_one_per_phone ON people (phone) WHERE phone IS NOT NULL;
CREATE INDEX people_by_place ON people (home_state_code, home_district_code);

-- Every value a source gave a person's field. `standing`: 'held' (it is the
-- person's value, or agrees with it), 'conflict' (it differs from the held
-- value: a coordinator settles it), 'overruled' (settled against it).
CREATE TABLE person_facts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES people (id),
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('call', 'chat', 'import', 'volunteer')),
    source      TEXT NOT NULL,          -- the import's source name, 'call 12', a username
    unit_id     BIGINT,
    given_by    TEXT,                   -- who imported or typed it
    given_at    TIMESTAMPTZ NOT NULL,
    standing    TEXT NOT NULL CHECK (standing IN ('held', 'conflict', 'overruled')),
    UNIQUE (person_id, field, value, source_kind, source)
);
CREATE INDEX person_facts_open_conflicts ON person_facts (person_id) WHERE standing = 'conflict';

-- A list's source ('bihar-labour-dept-2020'): its saved column mapping and
-- whether it was collected with the workers' consent.
CREATE TABLE import_sources (
    name       TEXT PRIMARY KEY,
    mapping    TEXT NOT NULL,           -- JSON
    consent    BOOLEAN NOT NULL DEFAULT FALSE,
    unit_id    BIGINT REFERENCES units (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One file imported from a source. `rows_done` moves with each committed
-- batch, so an interrupted import resumes where it stopped; the same file
-- (by its SHA-256) from the same source is never imported twice.
CREATE TABLE imports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL REFERENCES import_sources (name),
    unit_id     BIGINT REFERENCES units (id),
    file_name   TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    rows_done   BIGINT NOT NULL DEFAULT 0,
    new_people  BIGINT NOT NULL DEFAULT 0,
    matched     BIGINT NOT NULL DEFAULT 0,
    conflicting BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    to_review   BIGINT NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (source, file_sha256)
);
CREATE TABLE import_rejects (
    import_id BIGINT NOT NULL REFERENCES imports (id),
    row_number BIGINT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- A place name the matcher was not sure of: a coordinator picks the place,
-- the person gets it, and the pick is remembered for the spelling.
CREATE TABLE place_reviews (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES people (id),
    field       TEXT NOT NULL CHECK (field IN ('home_state_code', 'home_district_code')),
    spelling    TEXT NOT NULL,          -- as the list spelt it
    state_code  BIGINT,                -- the state it was matched in, when known
    candidates  TEXT NOT NULL,          -- JSON [[code, confidence], ...]
    source      TEXT NOT NULL,
    unit_id     BIGINT REFERENCES units (id),
    created_at  TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    resolved_by TEXT,
    UNIQUE (person_id, field, spelling)
);
CREATE INDEX place_reviews_open ON place_reviews (unit_id, created_at) WHERE resolved_at IS NULL;

-- Cases belong to people; a case handed to another unit is in its queue.
ALTER TABLE cases ADD COLUMN person_id BIGINT REFERENCES people (id);
ALTER TABLE cases ADD COLUMN unit_id BIGINT REFERENCES units (id);
CREATE INDEX cases_by_person ON cases (person_id);
CREATE INDEX cases_by_unit ON cases (unit_id) WHERE unit_id IS NOT NULL;

CREATE TABLE case_handovers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    from_unit_id BIGINT REFERENCES units (id),
    to_unit_id   BIGINT NOT NULL REFERENCES units (id),
    note         TEXT NOT NULL,
    handed_by    TEXT NOT NULL,
    handed_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_handovers_by_case ON case_handovers (case_id, handed_at);
