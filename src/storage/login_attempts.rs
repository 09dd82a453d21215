//! The sign-in throttle's SQL, one text for both backends (both accept
//! `$n` placeholders, upserts with a `WHERE` and `RETURNING`, and compare
//! the stored times as bound: SQLite's RFC 3339 text sorts by time).

/// Counts an attempt unless the counter is past its allowance and its last
/// attempt is too recent; returns the new count, or no row when refused.
/// A counter idle since `$3` starts again. Binds: key, now, forget before,
/// free, then the six cutoffs of [`super::AttemptLimit`].
pub(super) const ADMIT: &str = r#"
INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN login_failures.last_failure_at <= $3 THEN 1 ELSE login_failures.failures + 1 END,
    last_failure_at = excluded.last_failure_at
WHERE login_failures.last_failure_at <= $3
   OR login_failures.failures < $4
   OR login_failures.last_failure_at <= CASE login_failures.failures - $4
        WHEN 0 THEN $5 WHEN 1 THEN $6 WHEN 2 THEN $7 WHEN 3 THEN $8 WHEN 4 THEN $9 ELSE $10 END
RETURNING failures"#;

pub(super) const REFUND: &str = "UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0";

pub(super) const READ: &str = "SELECT failures, last_failure_at FROM login_failures WHERE key = $1";

pub(super) const CLEAR: &str = "DELETE FROM login_failures WHERE key = $1 OR last_failure_at <= $2";
