-- Taking the next case walks waiting cases in claim order (medical first,
-- then first call) and stops at the first one in scope. One index in exactly
-- that order lets it stop early instead of sorting every waiting case.
DROP INDEX cases_queue_order;
DROP INDEX cases_waiting;
CREATE INDEX cases_claim_order ON cases (status, priority, first_call_at, id);
-- Volunteers and coordinators take cases from their states (and languages):
-- the next case is the best of the first waiting case of each state (and
-- language), each found at the head of one of these indexes.
CREATE INDEX cases_claim_by_state ON cases (status, home_state_code, priority, first_call_at, id);
CREATE INDEX cases_claim_by_state_language ON cases (status, home_state_code, language, priority, first_call_at, id);
