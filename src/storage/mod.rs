//! Storage: the domains not yet moved to stores of their own, behind one
//! trait, [`Store`], with a backend per database. Calls, their events and
//! the fold into cases live in `calls::CallStore` and `cases::store` (the
//! way every domain's store goes: see [`crate::db`]); users, sessions and
//! sign-in attempts in `auth::UserStore`.

mod postgres;
mod sqlite;
mod views;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use views::{
    AttemptView, AuditEntry, CallSummary, CaseHistory, CaseView, ClaimCheck, DayOutcomes, DistrictCount,
    NewPromptVersion, OutcomeReport, PromptVersion, QueueCount,
};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::{
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

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The cases in a user's scope, streamed in id order.
    fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>>;

    // ---- the callback queue ---------------------------------------------

    /// Waiting cases in scope, by language and home state.
    async fn queue_counts(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<QueueCount>, StoreError>;

    /// Atomically claims the next waiting case in scope until `lease_until`:
    /// the one the user already holds, else medical first, then the longest
    /// waiting. `None` when nothing is waiting. A user holds at most one
    /// case (a unique index on `claimed_by`), however many claims race.
    async fn claim_next(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;

    /// The next waiting cases in scope, in the order they will be taken.
    async fn waiting_cases(&self, scope: &Scope, now: DateTime<Utc>, limit: i64) -> Result<Vec<CaseView>, StoreError>;

    /// The case the user holds a live claim on, if any.
    async fn held_case(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Option<i64>, StoreError>;

    /// A case, if it exists and is in scope.
    async fn case_view(&self, scope: &Scope, id: i64) -> Result<Option<CaseView>, StoreError>;

    /// A case's calls and attempts (ask only after `case_view` found it).
    async fn case_history(&self, id: i64) -> Result<CaseHistory, StoreError>;

    /// Gives a held case back to the queue.
    async fn release_case(&self, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<ClaimCheck, StoreError>;

    /// Records a callback's outcome on a held case and releases it.
    async fn record_outcome(
        &self,
        scope: &Scope,
        id: i64,
        report: &OutcomeReport,
        now: DateTime<Utc>,
    ) -> Result<ClaimCheck, StoreError>;

    /// Opens an attempt for "Call now" on a held case; its id, or why not.
    async fn open_call_attempt(
        &self,
        scope: &Scope,
        id: i64,
        gateway: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, ClaimCheck>, StoreError>;

    /// The caller's number for an open "Call now" attempt (the bridge TwiML
    /// dials it); `None` once the attempt has an outcome.
    async fn attempt_caller(&self, attempt: i64) -> Result<Option<String>, StoreError>;

    /// The gateway's id for an attempt's bridged call.
    async fn set_attempt_call_id(&self, attempt: i64, call_id: &str) -> Result<(), StoreError>;

    /// A bridged call's status callback; false when no attempt has that call.
    async fn update_attempt_call(
        &self,
        gateway: &str,
        call_id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The gateway whose call brought in the case's voice message (the
    /// provider of the call whose state holds the case's recording URL):
    /// only that gateway's hosts may serve it. `None` without a message, or
    /// when no call of the case holds it.
    async fn voice_message_gateway(&self, case_id: i64) -> Result<Option<String>, StoreError>;

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
