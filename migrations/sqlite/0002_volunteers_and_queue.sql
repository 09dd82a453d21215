-- Volunteers, coordinators and admins; sessions; the callback queue's
-- claims, attempts and outcomes; the audit log.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'admin')),
    password_hash TEXT NOT NULL,
    phone         TEXT,                 -- the volunteer's own phone, rung first by "Call now"
    disabled_at   TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_states (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    state_code INTEGER NOT NULL,
    PRIMARY KEY (user_id, state_code)
);

CREATE TABLE user_languages (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    language TEXT NOT NULL,
    PRIMARY KEY (user_id, language)
);

-- Only the SHA-256 of a session token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed logins per username and per client address, to slow guessing.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL
);

-- The queue: 0 = medical need (first), 1 = everyone else.
ALTER TABLE cases ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cases ADD COLUMN claimed_by INTEGER REFERENCES users (id);
ALTER TABLE cases ADD COLUMN lease_expires_at TEXT;
ALTER TABLE cases ADD COLUMN next_attempt_at TEXT;
ALTER TABLE cases ADD COLUMN no_answer_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN first_attempt_at TEXT;
ALTER TABLE cases ADD COLUMN referred_to TEXT;
-- The seed questionnaire, filled in by the volunteer from the conversation.
ALTER TABLE cases ADD COLUMN worker_name TEXT;
ALTER TABLE cases ADD COLUMN village TEXT;
ALTER TABLE cases ADD COLUMN ward TEXT;
ALTER TABLE cases ADD COLUMN post_office TEXT;
ALTER TABLE cases ADD COLUMN pin_code TEXT;
ALTER TABLE cases ADD COLUMN current_location TEXT;

UPDATE cases SET priority = 0 WHERE need = 'medical';

CREATE INDEX cases_waiting ON cases (priority, first_call_at, id) WHERE status = 'queued' AND closed_at IS NULL;
CREATE INDEX cases_by_claimer ON cases (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX cases_by_state ON cases (home_state_code, home_district_code);

-- Every callback attempt, with who made it and what happened.
CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    started_at      TEXT NOT NULL,
    outcome         TEXT,
    notes           TEXT,
    referred_to     TEXT,
    callback_at     TEXT,
    gateway         TEXT,
    gateway_call_id TEXT,
    call_status     TEXT,
    finished_at     TEXT
);
CREATE INDEX attempts_by_case ON attempts (case_id);
CREATE UNIQUE INDEX attempts_by_gateway_call ON attempts (gateway, gateway_call_id) WHERE gateway_call_id IS NOT NULL;

-- Who looked at which caller's number, played which recording, exported what.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action  TEXT NOT NULL,
    case_id INTEGER,
    details TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);
