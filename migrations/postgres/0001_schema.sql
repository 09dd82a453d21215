-- Sampark schema, PostgreSQL: the same tables as migrations/sqlite/0001–0003.
-- Never edit a merged migration; add a new one.

CREATE TABLE flow_versions (
    flow_id    TEXT NOT NULL,
    version    TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flow_id, version)
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'admin')),
    password_hash TEXT NOT NULL,
    phone         TEXT,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_states (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    state_code BIGINT NOT NULL,
    PRIMARY KEY (user_id, state_code)
);

CREATE TABLE user_languages (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    language TEXT NOT NULL,
    PRIMARY KEY (user_id, language)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE cases (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone                   TEXT,
    language                TEXT,
    consent                 BOOLEAN,
    home_state_code         BIGINT,
    home_district_code      BIGINT,
    need                    TEXT,
    recording_url           TEXT,
    recording_duration_secs BIGINT,
    status                  TEXT NOT NULL DEFAULT 'queued',
    calls                   BIGINT NOT NULL DEFAULT 0,
    first_call_at           TIMESTAMPTZ NOT NULL,
    last_call_at            TIMESTAMPTZ NOT NULL,
    last_call_id            BIGINT,
    closed_at               TIMESTAMPTZ,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    priority                BIGINT NOT NULL DEFAULT 1,
    claimed_by              BIGINT REFERENCES users (id),
    lease_expires_at        TIMESTAMPTZ,
    next_attempt_at         TIMESTAMPTZ,
    no_answer_attempts      BIGINT NOT NULL DEFAULT 0,
    first_attempt_at        TIMESTAMPTZ,
    referred_to             TEXT,
    worker_name             TEXT,
    village                 TEXT,
    ward                    TEXT,
    post_office             TEXT,
    pin_code                TEXT,
    current_location        TEXT
);
CREATE UNIQUE INDEX cases_one_open_case_per_phone ON cases (phone) WHERE phone IS NOT NULL AND closed_at IS NULL;
CREATE INDEX cases_by_claimer ON cases (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX cases_by_state ON cases (home_state_code, home_district_code);
CREATE INDEX cases_claim_order ON cases (status, priority, first_call_at, id);
CREATE INDEX cases_claim_by_state ON cases (status, home_state_code, priority, first_call_at, id);
CREATE INDEX cases_claim_by_state_language ON cases (status, home_state_code, language, priority, first_call_at, id);

CREATE TABLE calls (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider         TEXT NOT NULL,
    provider_call_id TEXT NOT NULL,
    phone            TEXT,
    flow_id          TEXT NOT NULL,
    flow_version     TEXT NOT NULL,
    state            TEXT NOT NULL,
    turn             BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    node             TEXT NOT NULL,
    end_reason       TEXT,
    ended_at         TIMESTAMPTZ,
    case_id          BIGINT REFERENCES cases (id),
    started_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, provider_call_id),
    FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions (flow_id, version)
);
CREATE INDEX calls_open_by_idle_time ON calls (updated_at) WHERE ended_at IS NULL;
CREATE INDEX calls_by_case ON calls (case_id);

CREATE TABLE call_events (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id            BIGINT NOT NULL REFERENCES calls (id),
    dedupe_key         TEXT NOT NULL,
    kind               TEXT NOT NULL,
    input              TEXT NOT NULL,
    request_hash       TEXT NOT NULL,
    node_before        TEXT,
    node_after         TEXT NOT NULL,
    reply_content_type TEXT NOT NULL,
    reply              TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (call_id, dedupe_key)
);

CREATE TABLE attempts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         BIGINT NOT NULL REFERENCES cases (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    started_at      TIMESTAMPTZ NOT NULL,
    outcome         TEXT,
    notes           TEXT,
    referred_to     TEXT,
    callback_at     TIMESTAMPTZ,
    gateway         TEXT,
    gateway_call_id TEXT,
    call_status     TEXT,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX attempts_by_case ON attempts (case_id);
CREATE INDEX attempts_by_time ON attempts (started_at);
CREATE UNIQUE INDEX attempts_by_gateway_call ON attempts (gateway, gateway_call_id) WHERE gateway_call_id IS NOT NULL;

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    user_id BIGINT REFERENCES users (id),
    action  TEXT NOT NULL,
    case_id BIGINT,
    details TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);
