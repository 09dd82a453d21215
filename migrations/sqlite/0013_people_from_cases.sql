-- When a case's values last went to its person (the case's updated_at as
-- it was then): a case whose updated_at differs has news for the person.
ALTER TABLE cases ADD COLUMN person_synced_at TEXT;
CREATE INDEX cases_by_update ON cases (updated_at);
