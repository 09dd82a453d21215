//! Storage: one domain-level trait, [`Store`], with a backend per database.
//!
//! SQLite (WAL, one file) is the embedded default; the backend is chosen by
//! the scheme of the database URL. Every webhook turn is committed by
//! [`Store::commit_turn`] in one transaction — the event with its reply, the
//! call's new state, and the fold into the caller's case — before the reply
//! is sent. Concurrency is optimistic: a commit names the call version it was
//! computed from and is refused ([`CommitOutcome::Conflict`]) if the call has
//! moved on, so webhooks for one call may land on any server instance.

mod login_attempts;
mod postgres;
mod sqlite;
mod views;

pub use postgres::PgStore;
pub use sqlite::{PageLimit, SqliteStore};
pub use views::{
    AttemptView, AuditEntry, CallSummary, CaseHistory, CaseView, ClaimCheck, DayOutcomes, DistrictCount,
    NewPromptVersion, OutcomeReport, PromptVersion, QueueCount,
};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::{
    auth::{NewUser, User},
    cases::CaseRecord,
    domain::Language,
    flow::CallState,
    gateway::Reply,
    prompts::PromptKey,
    queue::Scope,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0} already exists")]
    Conflict(String),
    /// Names the URL's scheme only: the rest may hold a password.
    #[error("database URLs starting `{0}` are not supported (use sqlite://PATH or postgres://…)")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A call as stored.
#[derive(Debug, Clone)]
pub struct StoredCall {
    pub id: i64,
    pub flow_id: String,
    pub flow_version: String,
    pub state: CallState,
    /// The next turn number the gateway will answer.
    pub turn: u32,
    /// Bumped by every commit; a commit must name the version it read.
    pub version: i64,
}

/// Which call row a commit writes.
#[derive(Debug, Clone)]
pub enum CallWrite {
    /// The first webhook of a call: insert it (refused if another request
    /// inserted it first).
    New { provider: String, provider_call_id: String, phone: Option<String>, flow_id: String, flow_version: String },
    /// A later webhook: update the call if it is still at `expected_version`.
    Existing { id: i64, expected_version: i64 },
}

/// The webhook as recorded in the event log.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub dedupe_key: String,
    pub kind: String,
    /// The parsed event, as JSON.
    pub input: String,
    pub request_hash: String,
    pub node_before: Option<String>,
}

/// Everything one webhook turn writes, in one transaction.
#[derive(Debug, Clone)]
pub struct TurnCommit {
    pub call: CallWrite,
    pub state: CallState,
    pub next_turn: u32,
    pub event: EventRecord,
    pub reply: Reply,
    pub at: DateTime<Utc>,
    /// Fold the call into its caller's case (the call has ended and queues).
    pub fold_into_case: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// This request's dedupe key is already recorded: it is a retry.
    Duplicate,
    /// The call changed since it was read (or was created concurrently).
    Conflict,
}

/// The last turn a call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastTurn {
    pub reply: Reply,
    pub request_hash: String,
    pub at: DateTime<Utc>,
}

/// Row counts, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub calls: i64,
    pub events: i64,
    pub cases: i64,
}

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

/// A call nobody has heard from for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleCall {
    pub provider: String,
    pub provider_call_id: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Brings the schema up to date.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// True when the database answers and its migrations are current.
    async fn ready(&self) -> Result<(), StoreError>;

    /// Remembers a flow version's source (no-op if already known).
    async fn save_flow_version(&self, flow_id: &str, version: &str, source: &str) -> Result<(), StoreError>;

    async fn flow_source(&self, flow_id: &str, version: &str) -> Result<Option<String>, StoreError>;

    /// The reply already sent for this request, if it was processed.
    async fn stored_reply(&self, provider: &str, call_id: &str, dedupe_key: &str) -> Result<Option<Reply>, StoreError>;

    /// The call's last answered turn: its reply (the question being asked
    /// now), its request hash and when it was answered.
    async fn last_turn(&self, call: i64) -> Result<Option<LastTurn>, StoreError>;

    async fn load_call(&self, provider: &str, call_id: &str) -> Result<Option<StoredCall>, StoreError>;

    async fn commit_turn(&self, commit: TurnCommit) -> Result<CommitOutcome, StoreError>;

    /// Calls not ended and not updated since `before`, oldest first.
    async fn idle_calls(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<IdleCall>, StoreError>;

    /// Every case, streamed in id order.
    fn export_cases(&self) -> BoxStream<'_, Result<CaseRecord, StoreError>>;

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

    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Calls not yet ended that had a webhook in the last ten minutes.
    async fn calls_in_progress(&self, now: DateTime<Utc>) -> Result<i64, StoreError>;

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

    /// Closes the pool, waiting for connections to return.
    async fn close(&self);
}

/// Opens the store a database URL names (creating an SQLite file if
/// missing), and migrates it.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open(url, true, StoreOptions { group_commit: true, page_limit: None }).await
}

/// How the server opens its store.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite: commit concurrent webhook turns together (see `sqlite/group.rs`).
    pub group_commit: bool,
    /// SQLite: a fault-injection handle that caps the file's size, as a full
    /// disk would. Only tests set it.
    pub page_limit: Option<PageLimit>,
}

/// As [`connect`], with the server's options.
pub async fn connect_tuned(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    open(url, true, options).await
}

/// Opens an existing database (for reading tools such as the export), and
/// migrates it.
pub async fn connect_existing(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open(url, false, StoreOptions::default()).await
}

async fn open(url: &str, create_if_missing: bool, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url, create_if_missing, options).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(PgStore::connect(url).await?)
    } else {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        return Err(StoreError::UnsupportedUrl(scheme.to_owned()));
    };
    store.migrate().await?;
    Ok(store)
}

/// True when a connection is outside any transaction, as every pooled
/// connection must be (both backends check it as connections are released
/// and acquired). One that is not — a rollback that failed because SQLite
/// had already rolled back by itself, as on `SQLITE_FULL` — would turn
/// later transactions into savepoints of a transaction that never commits,
/// holding the write lock: it is closed instead. A rollback queued on drop
/// may still be on its way to the connection: a ping waits for it before
/// looking again.
pub(crate) async fn returned_clean<C: sqlx::Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::error!("a database connection is still inside a failed transaction: closing it");
        return Ok(false);
    }
    Ok(true)
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
