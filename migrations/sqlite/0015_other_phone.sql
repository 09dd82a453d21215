-- Another number a list gave in the same cell ("6000000002 / 6000000012"):
-- a relative's or a co-worker's phone, kept so no number a list gave is lost.
ALTER TABLE people ADD COLUMN other_phone TEXT;
