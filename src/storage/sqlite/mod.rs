//! The SQLite backend: one file, WAL journal, `synchronous = FULL` so a
//! committed turn survives a power cut, not only a crash.

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use sqlx::{
    Row, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{
    AuditEntry, CaseHistory, CaseView, ClaimCheck, CommitOutcome, Counts, DayOutcomes, DistrictCount, IdleCall,
    LastTurn, NewPromptVersion, OutcomeReport, PromptVersion, Purged, QueueCount, Store, StoreError, StoreOptions,
    StoredCall, TurnCommit,
};
use crate::{
    auth::{NewUser, User},
    cases::CaseRecord,
    domain::Language,
    gateway::Reply,
    prompts::PromptKey,
    queue::Scope,
};

mod calls;
mod cases;
mod group;
mod prompts;
mod queue;
mod reports;
mod retention;
mod users;

use calls::{insert_event, write_call};
use cases::{case_record, fold_into_case};

use group::GroupWriter;

/// Writes one webhook turn (the call, its event, the fold into its case) in
/// `tx`; the caller commits when the outcome is `Committed`.
async fn apply_turn(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    commit: &TurnCommit,
) -> Result<CommitOutcome, StoreError> {
    let Some(call_id) = write_call(tx, commit).await? else {
        return Ok(CommitOutcome::Conflict);
    };
    if !insert_event(tx, call_id, commit).await? {
        return Ok(CommitOutcome::Duplicate);
    }
    if commit.fold_into_case {
        fold_into_case(tx, call_id, &commit.state.data, commit.at).await?;
    }
    Ok(CommitOutcome::Committed)
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Commits webhook turns in groups (see `group.rs`); `None`: one by one.
    writer: Option<GroupWriter>,
}

impl SqliteStore {
    /// Opens the database file a `sqlite:` URL names, creating it (readable
    /// by its owner only) if asked, committing webhook turns in groups or one
    /// by one.
    pub async fn connect(url: &str, create_if_missing: bool, options: StoreOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if create_if_missing {
            create_private(connect.get_filename())?;
        }
        let page_limit = options.page_limit;
        let on_connect = page_limit.clone();
        let pool = SqlitePoolOptions::new()
            .after_connect(move |conn, _meta| {
                let page_limit = on_connect.clone();
                Box::pin(async move {
                    if let Some(limit) = page_limit {
                        limit.apply(conn).await?;
                    }
                    Ok(())
                })
            })
            .max_connections(4)
            // A connection must come back from a transaction in autocommit
            // mode; one that does not (a rollback that failed because SQLite
            // had already rolled back on its own, as on SQLITE_FULL) would
            // turn later transactions into savepoints that never commit.
            // Closed, never pooled.
            .after_release(|conn, _meta| Box::pin(async move { super::returned_clean(conn).await }))
            .before_acquire(move |conn, _meta| {
                let page_limit = page_limit.clone();
                Box::pin(async move {
                    if let Some(limit) = page_limit {
                        limit.apply(conn).await?;
                    }
                    super::returned_clean(conn).await
                })
            })
            .connect_with(connect)
            .await?;
        let writer = options.group_commit.then(|| GroupWriter::spawn(pool.clone()));
        Ok(Self { pool, writer })
    }
}

/// Creates an empty database file readable and writable by its owner only,
/// if there is none; SQLite gives its WAL and shared-memory files the same
/// permissions. (Callers' numbers and voices are in it.)
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.as_os_str().is_empty() || path == std::path::Path::new(":memory:") {
        return Ok(());
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database(sqlx::Error::Io(e))),
    }
}

/// Fault injection for tests: caps the database file at its current size
/// (SQLite's `max_page_count`), as a full disk would, on every connection
/// as it is acquired; lifting it lets the file grow again.
#[derive(Debug, Clone, Default)]
pub struct PageLimit(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl PageLimit {
    /// The disk is full (`true`) or has room again (`false`).
    pub fn set_full(&self, full: bool) {
        self.0.store(full, std::sync::atomic::Ordering::SeqCst);
    }

    async fn apply(&self, conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
        // SQLite keeps the limit at least the file's current size.
        let pages: u32 = if self.0.load(std::sync::atomic::Ordering::SeqCst) { 1 } else { 0xFFFF_FFFE };
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).execute(conn).await?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?;
        if applied < MIGRATOR.iter().count() as i64 {
            return Err(StoreError::Corrupt("migrations are not current".to_owned()));
        }
        Ok(())
    }

    async fn save_flow_version(&self, flow_id: &str, version: &str, source: &str) -> Result<(), StoreError> {
        sqlx::query(
            r#"INSERT INTO flow_versions (flow_id, version, source, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (flow_id, version) DO NOTHING"#,
        )
        .bind(flow_id)
        .bind(version)
        .bind(source)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn flow_source(&self, flow_id: &str, version: &str) -> Result<Option<String>, StoreError> {
        let source = sqlx::query_scalar("SELECT source FROM flow_versions WHERE flow_id = ? AND version = ?")
            .bind(flow_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(source)
    }

    async fn stored_reply(&self, provider: &str, call_id: &str, dedupe_key: &str) -> Result<Option<Reply>, StoreError> {
        let row = sqlx::query(
            r#"SELECT e.reply_content_type, e.reply FROM call_events e JOIN calls c ON c.id = e.call_id
               WHERE c.provider = ? AND c.provider_call_id = ? AND e.dedupe_key = ?"#,
        )
        .bind(provider)
        .bind(call_id)
        .bind(dedupe_key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Reply { content_type: r.get(0), body: r.get(1) }))
    }

    async fn last_turn(&self, call: i64) -> Result<Option<LastTurn>, StoreError> {
        let row = sqlx::query(
            r#"SELECT reply_content_type, reply, request_hash, created_at FROM call_events
               WHERE call_id = ? AND dedupe_key LIKE 'turn:%' ORDER BY id DESC LIMIT 1"#,
        )
        .bind(call)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| LastTurn {
            reply: Reply { content_type: r.get(0), body: r.get(1) },
            request_hash: r.get(2),
            at: r.get(3),
        }))
    }

    async fn load_call(&self, provider: &str, call_id: &str) -> Result<Option<StoredCall>, StoreError> {
        let row = sqlx::query(
            r#"SELECT id, flow_id, flow_version, state, turn, version FROM calls
               WHERE provider = ? AND provider_call_id = ?"#,
        )
        .bind(provider)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let state: String = row.get("state");
        let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))?;
        Ok(Some(StoredCall {
            id: row.get("id"),
            flow_id: row.get("flow_id"),
            flow_version: row.get("flow_version"),
            state,
            turn: row.get::<i64, _>("turn") as u32,
            version: row.get("version"),
        }))
    }

    async fn commit_turn(&self, commit: TurnCommit) -> Result<CommitOutcome, StoreError> {
        if let Some(writer) = &self.writer {
            return writer.commit(commit).await;
        }
        group::commit_alone(&self.pool, &commit).await
    }

    async fn idle_calls(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<IdleCall>, StoreError> {
        let rows = sqlx::query(
            r#"SELECT provider, provider_call_id FROM calls
               WHERE ended_at IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?"#,
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| IdleCall { provider: r.get(0), provider_call_id: r.get(1) }).collect())
    }

    fn export_cases(&self) -> BoxStream<'_, Result<CaseRecord, StoreError>> {
        sqlx::query(
            r#"SELECT id, phone, language, consent, home_state_code, home_district_code, need,
                      recording_url, status, calls, first_call_at, last_call_at
               FROM cases ORDER BY id"#,
        )
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .and_then(|row| async move { case_record(&row) })
        .boxed()
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let row = sqlx::query(
            r#"SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM call_events), (SELECT count(*) FROM cases)"#,
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts { calls: row.get(0), events: row.get(1), cases: row.get(2) })
    }

    async fn calls_in_progress(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let since = now - chrono::Duration::minutes(10);
        let count = sqlx::query_scalar("SELECT count(*) FROM calls WHERE ended_at IS NULL AND updated_at > ?")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>> {
        reports::export_scoped_cases(&self.pool, scope)
    }

    async fn create_user(&self, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError> {
        users::create_user(&self.pool, user, at).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        users::users(&self.pool).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool, at: DateTime<Utc>) -> Result<(), StoreError> {
        users::set_user_disabled(&self.pool, username, disabled, at).await
    }

    async fn user_with_password(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        users::user_with_password(&self.pool, username).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        users::create_session(&self.pool, token_hash, user_id, csrf_token, at, expires_at).await
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>, StoreError> {
        users::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        users::delete_session(&self.pool, token_hash).await
    }

    async fn login_failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError> {
        users::login_failures(&self.pool, key).await
    }

    async fn admit_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        limit: &super::AttemptLimit,
    ) -> Result<Option<u32>, StoreError> {
        users::admit_login_attempt(&self.pool, key, at, limit).await
    }

    async fn refund_login_attempt(&self, key: &str) -> Result<(), StoreError> {
        users::refund_login_attempt(&self.pool, key).await
    }

    async fn clear_login_failures(&self, key: &str, idle_since: DateTime<Utc>) -> Result<(), StoreError> {
        users::clear_login_failures(&self.pool, key, idle_since).await
    }

    async fn queue_counts(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<QueueCount>, StoreError> {
        queue::queue_counts(&self.pool, scope, now).await
    }

    async fn claim_next(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        queue::claim_next(&self.pool, scope, now, lease_until).await
    }

    async fn waiting_cases(&self, scope: &Scope, now: DateTime<Utc>, limit: i64) -> Result<Vec<CaseView>, StoreError> {
        queue::waiting_cases(&self.pool, scope, now, limit).await
    }

    async fn held_case(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        queue::held_case(&self.pool, scope, now).await
    }

    async fn case_view(&self, scope: &Scope, id: i64) -> Result<Option<CaseView>, StoreError> {
        queue::case_view(&self.pool, scope, id).await
    }

    async fn case_history(&self, id: i64) -> Result<CaseHistory, StoreError> {
        queue::case_history(&self.pool, id).await
    }

    async fn release_case(&self, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<ClaimCheck, StoreError> {
        queue::release_case(&self.pool, scope, id, now).await
    }

    async fn record_outcome(
        &self,
        scope: &Scope,
        id: i64,
        report: &OutcomeReport,
        now: DateTime<Utc>,
    ) -> Result<ClaimCheck, StoreError> {
        queue::record_outcome(&self.pool, scope, id, report, now).await
    }

    async fn open_call_attempt(
        &self,
        scope: &Scope,
        id: i64,
        gateway: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, ClaimCheck>, StoreError> {
        queue::open_call_attempt(&self.pool, scope, id, gateway, now).await
    }

    async fn attempt_caller(&self, attempt: i64) -> Result<Option<String>, StoreError> {
        queue::attempt_caller(&self.pool, attempt).await
    }

    async fn set_attempt_call_id(&self, attempt: i64, call_id: &str) -> Result<(), StoreError> {
        queue::set_attempt_call_id(&self.pool, attempt, call_id).await
    }

    async fn update_attempt_call(
        &self,
        gateway: &str,
        call_id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        queue::update_attempt_call(&self.pool, gateway, call_id, status, at).await
    }

    async fn voice_message_gateway(&self, case_id: i64) -> Result<Option<String>, StoreError> {
        retention::voice_message_gateway(&self.pool, case_id).await
    }

    async fn purge_closed_cases(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        retention::purge_closed_cases(&self.pool, before, now).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        reports::audit(&self.pool, entry).await
    }

    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        reports::audit_log(&self.pool, limit).await
    }

    async fn waiting_by_district(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<DistrictCount>, StoreError> {
        reports::waiting_by_district(&self.pool, scope, now).await
    }

    async fn first_callback_delays(&self, scope: &Scope) -> Result<Vec<i64>, StoreError> {
        reports::first_callback_delays(&self.pool, scope).await
    }

    async fn attempts_by_user(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError> {
        reports::attempts_by_user(&self.pool, since).await
    }

    async fn outcomes_per_day(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<DayOutcomes>, StoreError> {
        reports::outcomes_per_day(&self.pool, scope, since).await
    }

    async fn add_prompt_version(&self, version: &NewPromptVersion) -> Result<PromptVersion, StoreError> {
        prompts::add(&self.pool, version).await
    }

    async fn activate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
        id: i64,
    ) -> Result<Option<PromptVersion>, StoreError> {
        prompts::activate(&self.pool, language, key, id).await
    }

    async fn deactivate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
    ) -> Result<Option<PromptVersion>, StoreError> {
        prompts::deactivate(&self.pool, language, key).await
    }

    async fn prompt_versions(&self, language: &Language, key: &PromptKey) -> Result<Vec<PromptVersion>, StoreError> {
        prompts::versions(&self.pool, language, key).await
    }

    async fn active_prompt_versions(&self) -> Result<Vec<PromptVersion>, StoreError> {
        prompts::active(&self.pool).await
    }

    async fn prompt_audio(&self, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError> {
        prompts::audio(&self.pool, id, original).await
    }
}
