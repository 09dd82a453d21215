-- Another number the caller asked to be called back on (E.164; NULL: none):
-- keyed, read back and confirmed in the call. Dialled first.
ALTER TABLE cases ADD COLUMN callback_phone TEXT;

-- Every answer a call gave its case, with consent: which call, which
-- question (the case column it fills), the value, when. The case's columns
-- hold the latest; these rows keep the earlier ones for the volunteer.
CREATE TABLE case_answers (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    call_id  BIGINT NOT NULL REFERENCES calls (id),
    field    TEXT NOT NULL,    -- home_state_code, home_district_code, need, callback_phone
    value    TEXT NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,    -- the call's start
    UNIQUE (call_id, field)
);
CREATE INDEX case_answers_by_case ON case_answers (case_id, given_at);

-- A "Call now" attempt that dials the caller's own number although the
-- case has a callback number (by default the callback number is dialled).
ALTER TABLE attempts ADD COLUMN own_number BOOLEAN NOT NULL DEFAULT FALSE;
