-- Sampark schema, SQLite. Never edit a merged migration; add a new one.
-- Timestamps are UTC, as sqlx writes chrono::DateTime<Utc> (sortable text).

-- Every flow version a call has started on, so a call keeps its version
-- across edits and restarts.
CREATE TABLE flow_versions (
    flow_id    TEXT NOT NULL,
    version    TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (flow_id, version)
);

-- A caller's case: one open case per phone number; repeat calls fold in.
CREATE TABLE cases (
    id                      INTEGER PRIMARY KEY,
    phone                   TEXT,                -- E.164; NULL when the caller id was withheld
    language                TEXT,
    consent                 INTEGER,             -- 1 agreed, 0 declined, NULL not answered
    home_state_code         INTEGER,
    home_district_code      INTEGER,
    need                    TEXT,
    recording_url           TEXT,
    recording_duration_secs INTEGER,
    status                  TEXT NOT NULL DEFAULT 'queued',
    calls                   INTEGER NOT NULL DEFAULT 0,
    first_call_at           TEXT NOT NULL,
    last_call_at            TEXT NOT NULL,
    last_call_id            INTEGER,
    closed_at               TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE UNIQUE INDEX cases_one_open_case_per_phone ON cases (phone)
    WHERE phone IS NOT NULL AND closed_at IS NULL;
CREATE INDEX cases_queue_order ON cases (status, first_call_at);

-- One row per call, with the engine's state as JSON. `version` guards
-- concurrent updates; `turn` is the next turn the gateway will answer.
CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    provider         TEXT NOT NULL,
    provider_call_id TEXT NOT NULL,
    phone            TEXT,
    flow_id          TEXT NOT NULL,
    flow_version     TEXT NOT NULL,
    state            TEXT NOT NULL,
    turn             INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    node             TEXT NOT NULL,
    end_reason       TEXT,
    ended_at         TEXT,
    case_id          INTEGER REFERENCES cases (id),
    started_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (provider, provider_call_id),
    FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions (flow_id, version)
);
CREATE INDEX calls_open_by_idle_time ON calls (updated_at) WHERE ended_at IS NULL;

-- Every webhook, with its parsed input and the exact reply sent. A gateway
-- retry carries the same dedupe key and is answered from here.
CREATE TABLE call_events (
    id                 INTEGER PRIMARY KEY,
    call_id            INTEGER NOT NULL REFERENCES calls (id),
    dedupe_key         TEXT NOT NULL,
    kind               TEXT NOT NULL,
    input              TEXT NOT NULL,
    request_hash       TEXT NOT NULL,
    node_before        TEXT,
    node_after         TEXT NOT NULL,
    reply_content_type TEXT NOT NULL,
    reply              TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    UNIQUE (call_id, dedupe_key)
);
