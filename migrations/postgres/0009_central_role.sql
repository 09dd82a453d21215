-- A new role, `central`: the central office sees rollups without personal data.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('volunteer', 'coordinator', 'admin', 'central'));
