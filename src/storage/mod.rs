//! Storage: the domains not yet moved to stores of their own, behind one
//! trait, [`Store`], with a backend per database. Calls, their events and
//! the fold into cases live in `calls::CallStore` and `cases::store` (the
//! way every domain's store goes: see [`crate::db`]), the callback queue in
//! `queue::QueueStore`.

mod login_attempts;
mod postgres;
mod sqlite;
mod views;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use views::{AuditEntry, DayOutcomes, DistrictCount, NewPromptVersion, PromptVersion};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::{
    auth::{NewUser, User},
    cases::CaseRecord,
    db::{Db, DbOptions},
    domain::Language,
    flow::CallState,
    prompts::PromptKey,
    queue::Scope,
};

pub use crate::db::StoreError;

/// What a retention run erased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    pub cases: u64,
    pub recordings: Vec<PurgedRecording>,
}

/// An erased voice message, to delete at the gateway that keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedRecording {
    pub url: String,
    /// The gateway whose call brought the message in (`calls.provider`);
    /// `None` when no call of the case holds it.
    pub gateway: Option<String>,
}

/// When a sign-in counter lets one more attempt through
/// ([`Store::admit_login_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLimit {
    /// Attempts let through one after another.
    pub free: u32,
    /// Past the allowance, the `k`-th further attempt goes through only if
    /// the previous one was counted at or before `cutoffs[k]` (the last
    /// cutoff holds for all later attempts).
    pub cutoffs: [DateTime<Utc>; 6],
    /// A counter untouched since then starts again from zero.
    pub forget_before: DateTime<Utc>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The cases in a user's scope, streamed in id order.
    fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>>;

    // ---- users and sessions ---------------------------------------------

    /// Adds a user; [`StoreError::Conflict`] if the username is taken.
    async fn create_user(&self, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError>;

    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Disables or re-enables a user; a disabled user's sessions stop working
    /// and the case they held goes back to the queue.
    async fn set_user_disabled(&self, username: &str, disabled: bool, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// A user and their password hash, for signing in (disabled users too).
    async fn user_with_password(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The live session's user (not disabled) and its CSRF token.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>, StoreError>;

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Sign-in attempts counted under `key` (see [`crate::auth::throttle`])
    /// and when the last was counted.
    async fn login_failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError>;

    /// Counts a sign-in attempt under `key` unless `limit` refuses it, in
    /// one statement, so concurrent attempts cannot all pass: the count
    /// with this attempt, or `None` when refused (and not counted).
    async fn admit_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        limit: &AttemptLimit,
    ) -> Result<Option<u32>, StoreError>;

    /// Takes back one counted attempt (it was never checked, or it was right).
    async fn refund_login_attempt(&self, key: &str) -> Result<(), StoreError>;

    /// Forgets `key`'s attempts (a right password), and every counter
    /// untouched since `idle_since`.
    async fn clear_login_failures(&self, key: &str, idle_since: DateTime<Utc>) -> Result<(), StoreError>;

    // ---- retention ------------------------------------------------------

    /// Retention: erases the personal fields of cases closed before
    /// `before` (number, voice message, what the volunteer wrote down) and
    /// of their calls, attempts and events, keeping what anonymous counts
    /// need (language, state, district, need, status, dates). Returns the
    /// erased voice messages, with the gateway each came through, to delete
    /// them at the gateway too.
    async fn purge_closed_cases(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<Purged, StoreError>;

    // ---- audit and reports ----------------------------------------------

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The latest audit entries, newest first.
    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;

    /// Waiting cases in scope by state and district.
    async fn waiting_by_district(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<DistrictCount>, StoreError>;

    /// For cases in scope that have had a callback: seconds from the first
    /// call to the first callback attempt.
    async fn first_callback_delays(&self, scope: &Scope) -> Result<Vec<i64>, StoreError>;

    /// Per user: callback attempts since `since`, and the latest one.
    async fn attempts_by_user(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError>;

    /// Outcomes per day since `since`, for cases in scope.
    async fn outcomes_per_day(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<DayOutcomes>, StoreError>;

    // Prompt recordings.

    /// Stores an uploaded recording as its prompt's active version.
    async fn add_prompt_version(&self, version: &NewPromptVersion) -> Result<PromptVersion, StoreError>;

    /// Makes version `id` of a prompt the active one; `None` when the prompt
    /// has no such version.
    async fn activate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
        id: i64,
    ) -> Result<Option<PromptVersion>, StoreError>;

    /// Makes no version of a prompt active (callers hear the text again);
    /// returns the version that was active, `None` when none was.
    async fn deactivate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
    ) -> Result<Option<PromptVersion>, StoreError>;

    /// Every version of one prompt, newest first.
    async fn prompt_versions(&self, language: &Language, key: &PromptKey) -> Result<Vec<PromptVersion>, StoreError>;

    /// The active version of every prompt that has one.
    async fn active_prompt_versions(&self) -> Result<Vec<PromptVersion>, StoreError>;

    /// A version's converted WAV, or the file as uploaded.
    async fn prompt_audio(&self, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The store of the domains not yet moved out, on `db`'s pool.
pub fn from_db(db: &Db) -> Arc<dyn Store> {
    match db {
        Db::Sqlite(pool) => Arc::new(SqliteStore::new(pool.clone())),
        Db::Postgres(pool) => Arc::new(PgStore::new(pool.clone())),
    }
}

/// Opens and migrates the database a URL names (creating an SQLite file if
/// missing), for the tools that work on it directly.
pub async fn connect(url: &str) -> Result<Db, StoreError> {
    let db = Db::connect(url, DbOptions { create_if_missing: true, page_limit: None }).await?;
    db.migrate().await?;
    Ok(db)
}

/// Opens an existing database (for reading tools such as the export), and
/// migrates it.
pub async fn connect_existing(url: &str) -> Result<Db, StoreError> {
    let db = Db::connect(url, DbOptions::default()).await?;
    db.migrate().await?;
    Ok(db)
}

/// The URL of the voice message a call's state holds.
pub(crate) fn voice_message_url(state: &str) -> Result<Option<String>, StoreError> {
    let parsed: CallState = serde_json::from_str(state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))?;
    Ok(parsed.data.voice_message.map(|m| m.url))
}

/// The provider of the first of `calls` (`(provider, state)`) whose state
/// holds the voice message at `url`.
pub(crate) fn gateway_of_voice_message(url: &str, calls: &[(String, String)]) -> Result<Option<String>, StoreError> {
    for (provider, state) in calls {
        if voice_message_url(state)?.as_deref() == Some(url) {
            return Ok(Some(provider.clone()));
        }
    }
    Ok(None)
}

/// A call's state without its voice message (the rest is not personal).
pub(crate) fn erase_voice_message(state: String) -> Result<String, StoreError> {
    let mut parsed: CallState =
        serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))?;
    parsed.data.voice_message = None;
    serde_json::to_string(&parsed).map_err(|e| StoreError::Corrupt(e.to_string()))
}
