-- Retention: when a closed case's personal fields were erased.
ALTER TABLE cases ADD COLUMN purged_at TEXT;
CREATE INDEX cases_closed_unpurged ON cases (closed_at) WHERE closed_at IS NOT NULL AND purged_at IS NULL;
