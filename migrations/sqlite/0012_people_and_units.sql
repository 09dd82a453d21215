-- The national database: one person per worker from every source (calls,
-- chats, imported lists, volunteers), with every value a source gave kept
-- beside the person's current one; state units with their members and
-- states; cases belong to people and can be handed from unit to unit.

-- A state office of the organisation, or a partner NGO.
CREATE TABLE units (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,    -- short, as on the command line: 'bihar'
    title      TEXT NOT NULL,           -- as people say it: 'Bihar state unit'
    created_at TEXT NOT NULL
);
CREATE TABLE unit_states (
    unit_id    INTEGER NOT NULL REFERENCES units (id),
    state_code INTEGER NOT NULL,
    PRIMARY KEY (unit_id, state_code)
);
CREATE TABLE unit_members (
    unit_id INTEGER NOT NULL REFERENCES units (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (unit_id, user_id)
);

-- One worker. The phone (E.164) is the key; a person without one (withheld,
-- or a list row with a name only) is a person of their own.
CREATE TABLE people (
    id                 INTEGER PRIMARY KEY,
    phone              TEXT,
    name               TEXT,
    language           TEXT,
    home_state_code    INTEGER,
    home_district_code INTEGER,
    village            TEXT,
    ward               TEXT,
    post_office        TEXT,
    pin_code           TEXT,
    current_location   TEXT,
    need               TEXT,
    consent            INTEGER,             -- 1 given (a caller agreed, a list collected with consent), 0 refused
    unit_id            INTEGER REFERENCES units (id),   -- the unit whose list brought them first
    open_conflicts     INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX people_one_per_phone ON people (phone) WHERE phone IS NOT NULL;
CREATE INDEX people_by_place ON people (home_state_code, home_district_code);

-- Every value a source gave a person's field. `standing`: 'held' (it is the
-- person's value, or agrees with it), 'conflict' (it differs from the held
-- value: a coordinator settles it), 'overruled' (settled against it).
CREATE TABLE person_facts (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('call', 'chat', 'import', 'volunteer')),
    source      TEXT NOT NULL,          -- the import's source name, 'call 12', a username
    unit_id     INTEGER,
    given_by    TEXT,                   -- who imported or typed it
    given_at    TEXT NOT NULL,
    standing    TEXT NOT NULL CHECK (standing IN ('held', 'conflict', 'overruled')),
    UNIQUE (person_id, field, value, source_kind, source)
);
CREATE INDEX person_facts_open_conflicts ON person_facts (person_id) WHERE standing = 'conflict';

-- A list's source ('bihar-labour-dept-2020'): its saved column mapping and
-- whether it was collected with the workers' consent.
CREATE TABLE import_sources (
    name       TEXT PRIMARY KEY,
    mapping    TEXT NOT NULL,           -- JSON
    consent    INTEGER NOT NULL DEFAULT 0,
    unit_id    INTEGER REFERENCES units (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One file imported from a source. `rows_done` moves with each committed
-- batch, so an interrupted import resumes where it stopped; the same file
-- (by its SHA-256) from the same source is never imported twice.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL REFERENCES import_sources (name),
    unit_id     INTEGER REFERENCES units (id),
    file_name   TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    rows_done   INTEGER NOT NULL DEFAULT 0,
    new_people  INTEGER NOT NULL DEFAULT 0,
    matched     INTEGER NOT NULL DEFAULT 0,
    conflicting INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    to_review   INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (source, file_sha256)
);
CREATE TABLE import_rejects (
    import_id INTEGER NOT NULL REFERENCES imports (id),
    row_number INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- A place name the matcher was not sure of: a coordinator picks the place,
-- the person gets it, and the pick is remembered for the spelling.
CREATE TABLE place_reviews (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    field       TEXT NOT NULL CHECK (field IN ('home_state_code', 'home_district_code')),
    spelling    TEXT NOT NULL,          -- as the list spelt it
    state_code  INTEGER,                -- the state it was matched in, when known
    candidates  TEXT NOT NULL,          -- JSON [[code, confidence], ...]
    source      TEXT NOT NULL,
    unit_id     INTEGER REFERENCES units (id),
    created_at  TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    UNIQUE (person_id, field, spelling)
);
CREATE INDEX place_reviews_open ON place_reviews (unit_id, created_at) WHERE resolved_at IS NULL;

-- Cases belong to people; a case handed to another unit is in its queue.
ALTER TABLE cases ADD COLUMN person_id INTEGER REFERENCES people (id);
ALTER TABLE cases ADD COLUMN unit_id INTEGER REFERENCES units (id);
CREATE INDEX cases_by_person ON cases (person_id);
CREATE INDEX cases_by_unit ON cases (unit_id) WHERE unit_id IS NOT NULL;

CREATE TABLE case_handovers (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    from_unit_id INTEGER REFERENCES units (id),
    to_unit_id   INTEGER NOT NULL REFERENCES units (id),
    note         TEXT NOT NULL,
    handed_by    TEXT NOT NULL,
    handed_at    TEXT NOT NULL
);
CREATE INDEX case_handovers_by_case ON case_handovers (case_id, handed_at);
