//! The users' store: users with the states and languages they serve,
//! sessions, and the sign-in throttle's counters; one SQL text for both
//! backends.
//!
//! A user's states and languages live in tables of their own and are read
//! back in the same query as the user, each as a comma-separated
//! `string_agg` (PostgreSQL's, and SQLite's since 3.44; the bundled SQLite
//! is newer), so a session lookup — every signed-in request — stays one
//! round trip. So do the units the user is a member of. Edits and password changes are in `changes.rs`.

use chrono::{DateTime, Utc};

use super::{NewUser, Role, User, throttle::AttemptLimit};
use crate::{
    db::{Db, StoreError, corrupt},
    domain::{Language, StateCode},
    on_db, on_tx,
};

/// The user columns [`UserRow`] reads, for a `users u`; a macro so queries
/// stay static strings.
macro_rules! user_columns {
    () => {
        "u.id, u.username, u.role, u.phone, u.disabled_at, u.password_reset_at,
         (SELECT string_agg(CAST(state_code AS TEXT), ',' ORDER BY state_code)
            FROM user_states WHERE user_id = u.id) AS states,
         (SELECT string_agg(language, ',' ORDER BY language) FROM user_languages WHERE user_id = u.id) AS languages,
         (SELECT string_agg(CAST(unit_id AS TEXT), ',' ORDER BY unit_id) FROM unit_members WHERE user_id = u.id) AS units"
    };
}

mod changes;

/// A user as stored; states and languages comma-separated, `None` for none.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    phone: Option<String>,
    disabled_at: Option<DateTime<Utc>>,
    /// When an admin last set a one-time password the user has not yet
    /// replaced with their own.
    password_reset_at: Option<DateTime<Utc>>,
    states: Option<String>,
    languages: Option<String>,
    units: Option<String>,
}

#[derive(sqlx::FromRow)]
struct UserWithPassword {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: String,
}

#[derive(sqlx::FromRow)]
struct CounterRow {
    failures: i64,
    last_failure_at: DateTime<Utc>,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        let states =
            split(self.states.as_deref(), |s| s.parse::<StateCode>().ok()).ok_or_else(|| corrupt("user states"))?;
        let languages =
            split(self.languages.as_deref(), |l| Language::parse(l).ok()).ok_or_else(|| corrupt("user languages"))?;
        Ok(User {
            id: self.id,
            username: self.username,
            role: self.role.parse::<Role>().map_err(|_| corrupt("user role"))?,
            states,
            languages,
            units: split(self.units.as_deref(), |u| u.parse::<i64>().ok()).ok_or_else(|| corrupt("user units"))?,
            phone: self.phone,
            disabled: self.disabled_at.is_some(),
            must_change_password: self.password_reset_at.is_some(),
        })
    }
}

/// The items of a comma-separated aggregate (`None`: no rows), each read by
/// `parse`; `None` when one does not parse.
fn split<T>(list: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    list.map_or(Some(Vec::new()), |list| list.split(',').map(parse).collect())
}

fn count_from(count: i64) -> Result<u32, StoreError> {
    u32::try_from(count).map_err(|_| StoreError::Corrupt(format!("sign-in attempt count {count}")))
}

/// Users, sessions and sign-in attempts.
#[derive(Debug, Clone)]
pub struct UserStore {
    db: Db,
}

impl UserStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Adds a user; [`StoreError::Conflict`] if the username is taken.
    pub async fn create_user(&self, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError> {
        const USER: &str = "INSERT INTO users (username, role, password_hash, phone, created_at)
                            VALUES ($1, $2, $3, $4, $5)
                            ON CONFLICT (username) DO NOTHING RETURNING id";
        const STATE: &str = "INSERT INTO user_states (user_id, state_code) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        const LANGUAGE: &str = "INSERT INTO user_languages (user_id, language) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        // Rolled back on drop if any insert fails.
        let mut tx = self.db.begin().await?;
        let inserted: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(USER)
                .bind(&user.username)
                .bind(user.role.as_str())
                .bind(&user.password_hash)
                .bind(&user.phone)
                .bind(at)
                .fetch_optional(&mut **conn)
                .await?
        });
        let Some(id) = inserted else { return Err(StoreError::Conflict(format!("user `{}`", user.username))) };
        for state in &user.states {
            let state = i64::from(*state);
            on_tx!(&mut tx, conn => sqlx::query(STATE).bind(id).bind(state).execute(&mut **conn).await.map(drop)?);
        }
        for language in &user.languages {
            let language = language.as_str();
            on_tx!(&mut tx, conn => sqlx::query(LANGUAGE).bind(id).bind(language).execute(&mut **conn).await.map(drop)?);
        }
        tx.commit().await?;
        Ok(id)
    }

    /// True once anyone can sign in: there is a user who is not disabled.
    pub async fn anyone_can_sign_in(&self) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE disabled_at IS NULL)";
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(SQL).fetch_one(pool).await?))
    }

    /// Every user, by username.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users u ORDER BY u.username");
        let rows: Vec<UserRow> = on_db!(&self.db, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.into_iter().map(UserRow::into_user).collect()
    }

    /// Disables or re-enables a user, in one transaction: a disabled user's
    /// sessions end and the case they held goes back to the queue at once,
    /// not when its lease runs out. [`StoreError::NotFound`] for no such user.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool, at: DateTime<Utc>) -> Result<(), StoreError> {
        const USER: &str = "UPDATE users SET disabled_at = $1 WHERE username = $2 RETURNING id";
        const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
        const CASE: &str = "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL WHERE claimed_by = $1";
        let disabled_at = disabled.then_some(at);
        // Rolled back on drop if any statement fails: nobody is left
        // disabled while still signed in or holding a case.
        let mut tx = self.db.begin().await?;
        if disabled {
            changes::keep_an_admin(&mut tx, username).await?;
        }
        let id: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(USER).bind(disabled_at).bind(username).fetch_optional(&mut **conn).await?
        });
        let Some(id) = id else { return Err(StoreError::NotFound) };
        if disabled {
            on_tx!(&mut tx, conn => sqlx::query(SESSIONS).bind(id).execute(&mut **conn).await.map(drop)?);
            on_tx!(&mut tx, conn => sqlx::query(CASE).bind(id).execute(&mut **conn).await.map(drop)?);
        }
        tx.commit().await
    }

    /// A user and their password hash, for signing in (disabled users too).
    pub async fn user_with_password(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        const SQL: &str = concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.username = $1");
        let row: Option<UserWithPassword> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(username).fetch_optional(pool).await?);
        row.map(|r| Ok((r.user.into_user()?, r.password_hash))).transpose()
    }

    /// Opens a session (and forgets the ones that have expired).
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        const EXPIRED: &str = "DELETE FROM sessions WHERE expires_at <= $1";
        const SQL: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                           VALUES ($1, $2, $3, $4, $5)";
        on_db!(&self.db, pool => {
            sqlx::query(EXPIRED).bind(at).execute(pool).await?;
            sqlx::query(SQL)
                .bind(token_hash)
                .bind(user_id)
                .bind(csrf_token)
                .bind(at)
                .bind(expires_at)
                .execute(pool)
                .await
                .map(drop)?
        });
        Ok(())
    }

    /// The live session's user (not disabled) and its CSRF token.
    pub async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            user_columns!(),
            ", s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        );
        let row: Option<SessionRow> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(pool).await?);
        row.map(|r| Ok((r.user.into_user()?, r.csrf_token))).transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        const SQL: &str = "DELETE FROM sessions WHERE token_hash = $1";
        on_db!(&self.db, pool => sqlx::query(SQL).bind(token_hash).execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Sign-in attempts counted under `key` (see [`super::throttle`]) and
    /// when the last was counted.
    pub async fn login_failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError> {
        const SQL: &str = "SELECT failures, last_failure_at FROM login_failures WHERE key = $1";
        let row: Option<CounterRow> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(key).fetch_optional(pool).await?);
        row.map(|r| Ok((count_from(r.failures)?, r.last_failure_at))).transpose()
    }

    /// Counts a sign-in attempt under `key` unless `limit` refuses it, in
    /// one statement, so concurrent attempts cannot all pass: the count
    /// with this attempt, or `None` when refused (and not counted).
    ///
    /// The upsert counts the attempt unless the counter is past its
    /// allowance and its last attempt is too recent (no row comes back
    /// then); a counter idle since `$3` starts again. The stored times
    /// compare as bound on both backends (SQLite's RFC 3339 text sorts by
    /// time).
    pub async fn admit_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        limit: &AttemptLimit,
    ) -> Result<Option<u32>, StoreError> {
        const SQL: &str = r#"
INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN login_failures.last_failure_at <= $3 THEN 1 ELSE login_failures.failures + 1 END,
    last_failure_at = excluded.last_failure_at
WHERE login_failures.last_failure_at <= $3
   OR login_failures.failures < $4
   OR login_failures.last_failure_at <= CASE login_failures.failures - $4
        WHEN 0 THEN $5 WHEN 1 THEN $6 WHEN 2 THEN $7 WHEN 3 THEN $8 WHEN 4 THEN $9 ELSE $10 END
RETURNING failures"#;
        let count: Option<i64> = on_db!(&self.db, pool => {
            let mut query = sqlx::query_scalar(SQL).bind(key).bind(at).bind(limit.forget_before).bind(i64::from(limit.free));
            for cutoff in limit.cutoffs {
                query = query.bind(cutoff);
            }
            query.fetch_optional(pool).await?
        });
        count.map(count_from).transpose()
    }

    /// Takes back one counted attempt (it was never checked, or it was right).
    pub async fn refund_login_attempt(&self, key: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0";
        on_db!(&self.db, pool => sqlx::query(SQL).bind(key).execute(pool).await.map(drop)?);
        Ok(())
    }

    /// Forgets `key`'s attempts (a right password), and every counter
    /// untouched since `idle_since`.
    pub async fn clear_login_failures(&self, key: &str, idle_since: DateTime<Utc>) -> Result<(), StoreError> {
        const SQL: &str = "DELETE FROM login_failures WHERE key = $1 OR last_failure_at <= $2";
        on_db!(&self.db, pool => sqlx::query(SQL).bind(key).bind(idle_since).execute(pool).await.map(drop)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: &str, states: Option<&str>, languages: Option<&str>) -> UserRow {
        UserRow {
            id: 7,
            username: "asha.k".to_owned(),
            role: role.to_owned(),
            phone: None,
            disabled_at: None,
            password_reset_at: None,
            states: states.map(str::to_owned),
            languages: languages.map(str::to_owned),
            units: None,
        }
    }

    #[test]
    fn a_users_states_and_languages_come_from_their_aggregates() {
        let user = row("volunteer", Some("9,10"), Some("bn,hi")).into_user().unwrap();
        assert_eq!(user.states.iter().map(|s| s.get()).collect::<Vec<_>>(), [9, 10]);
        assert_eq!(user.languages, [Language::parse("bn").unwrap(), Language::parse("hi").unwrap()]);
        assert_eq!(user.role, Role::Volunteer);
        let admin = row("admin", None, None).into_user().unwrap();
        assert!(admin.states.is_empty() && admin.languages.is_empty(), "no rows aggregate to NULL");
        let member = UserRow { units: Some("2,5".to_owned()), ..row("coordinator", Some("10"), None) };
        assert_eq!(member.into_user().unwrap().units, [2, 5]);
        assert_eq!(row("central", None, None).into_user().unwrap().role, Role::Central);
    }

    #[test]
    fn a_bad_stored_value_is_corrupt_not_a_panic() {
        for bad in [row("owner", None, None), row("admin", Some("9,300"), None), row("admin", None, Some("hi,"))] {
            assert!(matches!(bad.into_user(), Err(StoreError::Corrupt(_))));
        }
    }
}
