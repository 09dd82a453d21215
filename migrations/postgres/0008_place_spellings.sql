-- The place a coordinator picked for a spelling the matcher was not sure
-- of ("Bijapur" on a list from Karnataka): the next row spelt so, in the
-- same state (0: any state), gets the same place without asking again.
CREATE TABLE place_spellings (
    kind TEXT NOT NULL,                 -- 'district'
    spelling TEXT NOT NULL,             -- the text as the matcher folds it
    state_code BIGINT NOT NULL DEFAULT 0,
    lgd_code BIGINT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, spelling, state_code)
);
