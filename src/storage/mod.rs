//! Storage: the domains not yet moved to stores of their own, behind one
//! trait, [`Store`], with a backend per database. Calls, their events and
//! the fold into cases live in `calls::CallStore` and `cases::store`,
//! users, sessions and sign-in attempts in `auth::UserStore`, prompt
//! recordings in `prompts::PromptStore`, reports in `reports::ReportStore`
//! and the audit log in `audit::AuditStore` (the way every domain's store
//! goes: see [`crate::db`]).

mod postgres;
mod sqlite;
mod views;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use views::{AttemptView, CallSummary, CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    db::{Db, DbOptions},
    queue::Scope,
};

pub use crate::db::StoreError;

#[async_trait]
pub trait Store: Send + Sync + 'static {
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

/// Which gateway keeps a case's voice message: a rule of the cases', where
/// retention needs it too.
pub(crate) use crate::cases::gateway_of_voice_message;
