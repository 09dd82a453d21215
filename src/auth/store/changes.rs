//! Changing a user: their profile (role, states, languages, phone), the
//! one-time password an admin sets, and the password the user then
//! chooses. Each is one transaction, and the sessions that must end end in
//! it: nobody keeps a session opened with a password that no longer holds.

use chrono::{DateTime, Utc};

use super::{UserRow, UserStore};
use crate::{
    auth::{Profile, Role, User},
    db::{StoreError, Tx},
    on_db, on_tx,
};

/// Refuses, inside `tx`, a change that would leave `username` no longer an
/// admin when they are the only enabled one: nobody could then manage users
/// or prompts, nor undo it. The enabled admins' rows are locked
/// (PostgreSQL) so two admins cannot each demote the other at once.
pub(super) async fn keep_an_admin(tx: &mut Tx<'_>, username: &str) -> Result<(), StoreError> {
    let admins: Vec<String> = on_tx!(tx, conn, d => {
        const SQL: &str =
            concat!("SELECT username FROM users WHERE role = 'admin' AND disabled_at IS NULL", d::for_update!());
        sqlx::query_scalar(SQL).fetch_all(&mut **conn).await?
    });
    if admins == [username] {
        return Err(StoreError::Refused(format!(
            "`{username}` is the only admin who can sign in: make another admin first"
        )));
    }
    Ok(())
}

impl UserStore {
    /// The user called `username`, if there is one (disabled users too).
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        const SQL: &str = concat!("SELECT ", user_columns!(), " FROM users u WHERE u.username = $1");
        let row: Option<UserRow> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(username).fetch_optional(pool).await?);
        row.map(UserRow::into_user).transpose()
    }

    /// Replaces a user's role, states, languages and phone (as
    /// [`Profile::with`] checked them), all or nothing; the user as they
    /// now are. [`StoreError::Refused`] for the last admin made something else. Their sessions stay: each request reads the user afresh, so
    /// the new scope holds from the next one. [`StoreError::NotFound`] for
    /// no such user.
    pub async fn update_profile(&self, username: &str, profile: &Profile) -> Result<User, StoreError> {
        const USER: &str = "UPDATE users SET role = $1, phone = $2 WHERE username = $3 RETURNING id";
        const NO_STATES: &str = "DELETE FROM user_states WHERE user_id = $1";
        const NO_LANGUAGES: &str = "DELETE FROM user_languages WHERE user_id = $1";
        const STATE: &str = "INSERT INTO user_states (user_id, state_code) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        const LANGUAGE: &str = "INSERT INTO user_languages (user_id, language) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        // Rolled back on drop if any statement fails: no user is left with
        // the new role and the old states.
        let mut tx = self.db.begin().await?;
        if profile.role != Role::Admin {
            keep_an_admin(&mut tx, username).await?;
        }
        let id: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(USER)
                .bind(profile.role.as_str())
                .bind(&profile.phone)
                .bind(username)
                .fetch_optional(&mut **conn)
                .await?
        });
        let Some(id) = id else { return Err(StoreError::NotFound) };
        on_tx!(&mut tx, conn => sqlx::query(NO_STATES).bind(id).execute(&mut **conn).await.map(drop)?);
        on_tx!(&mut tx, conn => sqlx::query(NO_LANGUAGES).bind(id).execute(&mut **conn).await.map(drop)?);
        for state in &profile.states {
            let state = i64::from(*state);
            on_tx!(&mut tx, conn => sqlx::query(STATE).bind(id).bind(state).execute(&mut **conn).await.map(drop)?);
        }
        for language in &profile.languages {
            let language = language.as_str();
            on_tx!(&mut tx, conn => sqlx::query(LANGUAGE).bind(id).bind(language).execute(&mut **conn).await.map(drop)?);
        }
        tx.commit().await?;
        self.user(username).await?.ok_or(StoreError::NotFound)
    }

    /// Gives a user a one-time password (its hash), in one transaction:
    /// every session of theirs ends, the case they held is released, and until they choose a password of
    /// their own ([`UserStore::change_password`]) the password page is all
    /// a new one reaches. [`StoreError::NotFound`] for no such user.
    pub async fn reset_password(&self, username: &str, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        const USER: &str =
            "UPDATE users SET password_hash = $1, password_reset_at = $2 WHERE username = $3 RETURNING id";
        const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
        // Until they choose a password they can work no case: the one they
        // held goes back to the queue, as when a user is disabled.
        const CASE: &str = "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL WHERE claimed_by = $1";
        // Rolled back on drop: never a new password with the old sessions.
        let mut tx = self.db.begin().await?;
        let id: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(USER).bind(hash).bind(at).bind(username).fetch_optional(&mut **conn).await?
        });
        let Some(id) = id else { return Err(StoreError::NotFound) };
        on_tx!(&mut tx, conn => sqlx::query(SESSIONS).bind(id).execute(&mut **conn).await.map(drop)?);
        on_tx!(&mut tx, conn => sqlx::query(CASE).bind(id).execute(&mut **conn).await.map(drop)?);
        tx.commit().await
    }

    /// Replaces the password the user signed in with (`old_hash`) by one
    /// they chose, clearing a one-time password's mark; their other
    /// sessions end, `keep_session` (the one they changed it from) stays.
    /// [`StoreError::Conflict`] when the password changed meanwhile (an
    /// admin reset it): the change is not made.
    pub async fn change_password(
        &self,
        user_id: i64,
        old_hash: &str,
        new_hash: &str,
        keep_session: &str,
    ) -> Result<(), StoreError> {
        const USER: &str = "UPDATE users SET password_hash = $1, password_reset_at = NULL
                            WHERE id = $2 AND password_hash = $3 RETURNING id";
        const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
        // Rolled back on drop: the other sessions end with the old password.
        let mut tx = self.db.begin().await?;
        let changed: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(USER).bind(new_hash).bind(user_id).bind(old_hash).fetch_optional(&mut **conn).await?
        });
        if changed.is_none() {
            return Err(StoreError::Conflict("a newer password".to_owned()));
        }
        on_tx!(&mut tx, conn => {
            sqlx::query(SESSIONS).bind(user_id).bind(keep_session).execute(&mut **conn).await.map(drop)?
        });
        tx.commit().await
    }
}
