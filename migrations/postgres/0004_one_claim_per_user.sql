-- One volunteer holds at most one case, enforced by the database: a user's
-- id is in `claimed_by` of at most one case. A claim that ran out is cleared
-- when its holder claims again; the claim statement refuses a second live one.
-- Existing duplicates (from before this rule) keep only the latest lease.
UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
WHERE claimed_by IS NOT NULL
  AND id NOT IN (
    SELECT id FROM (
      SELECT id, row_number() OVER (PARTITION BY claimed_by ORDER BY lease_expires_at DESC, id DESC) AS n
      FROM cases WHERE claimed_by IS NOT NULL
    ) AS ranked WHERE n = 1
  );
DROP INDEX cases_by_claimer;
CREATE UNIQUE INDEX cases_one_claim_per_user ON cases (claimed_by) WHERE claimed_by IS NOT NULL;
