//! Storage: one domain-level trait, [`Store`], with a backend per database.
//!
//! SQLite (WAL, one file) is the embedded default; the backend is chosen by
//! the scheme of the database URL. Every webhook turn is committed by
//! [`Store::commit_turn`] in one transaction — the event with its reply, the
//! call's new state, and the fold into the caller's case — before the reply
//! is sent. Concurrency is optimistic: a commit names the call version it was
//! computed from and is refused ([`CommitOutcome::Conflict`]) if the call has
//! moved on, so webhooks for one call may land on any server instance.

mod sqlite;

pub use sqlite::SqliteStore;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::{cases::CaseRecord, flow::CallState, gateway::Reply};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Names the URL's scheme only: the rest may hold a password.
    #[error("database URLs starting `{0}` are not supported (use sqlite://PATH)")]
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

    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Closes the pool, waiting for connections to return.
    async fn close(&self);
}

/// Opens the store a database URL names (creating an SQLite file if
/// missing), and migrates it.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open(url, true).await
}

/// Opens an existing database (for reading tools such as the export), and
/// migrates it.
pub async fn connect_existing(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open(url, false).await
}

async fn open(url: &str, create_if_missing: bool) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url, create_if_missing).await?)
    } else {
        let scheme = url.split_once(':').map_or("", |(s, _)| s);
        return Err(StoreError::UnsupportedUrl(scheme.to_owned()));
    };
    store.migrate().await?;
    Ok(store)
}
