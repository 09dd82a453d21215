//! The calls' store: calls, their event log (each webhook with the reply it
//! got) and the flow versions calls run on; one SQL text for both backends.
//!
//! Every webhook turn is committed by [`CallStore::commit_turn`] in one
//! transaction — the event with its reply, the call's new state, and the
//! fold into the caller's case — before the reply is sent. Concurrency is
//! optimistic: a commit names the call version it was computed from and is
//! refused ([`CommitOutcome::Conflict`]) if the call has moved on, so
//! webhooks for one call may land on any server instance. On SQLite,
//! concurrent turns are committed in groups (see `group.rs`).

use chrono::{DateTime, Utc};

use super::{
    group::GroupWriter,
    turn::{CommitOutcome, TurnCommit, commit_alone},
};
use crate::{
    db::{Db, StoreError, corrupt},
    domain::CallId,
    flow::CallState,
    gateway::Reply,
    on_db,
};

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

/// The last turn a call answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastTurn {
    pub reply: Reply,
    pub request_hash: String,
    pub at: DateTime<Utc>,
}

/// Row counts, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct Counts {
    pub calls: i64,
    pub events: i64,
    pub cases: i64,
}

/// A call nobody has heard from for a while.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdleCall {
    pub provider: String,
    pub provider_call_id: CallId,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    flow_id: String,
    flow_version: String,
    state: String,
    turn: i64,
    version: i64,
}

impl CallRow {
    fn into_call(self) -> Result<StoredCall, StoreError> {
        Ok(StoredCall {
            id: self.id,
            flow_id: self.flow_id,
            flow_version: self.flow_version,
            state: serde_json::from_str(&self.state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))?,
            turn: u32::try_from(self.turn).map_err(|_| corrupt("call turn"))?,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallTurnRow {
    #[sqlx(flatten)]
    call: CallRow,
    reply_content_type: Option<String>,
    reply: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LastTurnRow {
    reply_content_type: String,
    reply: String,
    request_hash: String,
    created_at: DateTime<Utc>,
}

/// Calls, events and flow versions.
#[derive(Debug, Clone)]
pub struct CallStore {
    db: Db,
    /// SQLite: commits turns in groups; `None`: one by one.
    writer: Option<GroupWriter>,
}

impl CallStore {
    /// The store on `db`; on SQLite, `group_commit` commits concurrent turns
    /// together, one disk flush for many.
    pub fn new(db: Db, group_commit: bool) -> Self {
        let writer = match &db {
            Db::Sqlite(pool) if group_commit => Some(GroupWriter::spawn(pool.clone())),
            _ => None,
        };
        Self { db, writer }
    }

    /// Ok when the database answers and its migrations are current.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.db.ready().await
    }

    /// Remembers a flow version's source (no-op if already known).
    pub async fn save_flow_version(&self, flow_id: &str, version: &str, source: &str) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO flow_versions (flow_id, version, source, created_at) VALUES ($1, $2, $3, $4)
                           ON CONFLICT (flow_id, version) DO NOTHING";
        on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(flow_id).bind(version).bind(source).bind(Utc::now()).execute(pool).await.map(drop)?;
        });
        Ok(())
    }

    pub async fn flow_source(&self, flow_id: &str, version: &str) -> Result<Option<String>, StoreError> {
        const SQL: &str = "SELECT source FROM flow_versions WHERE flow_id = $1 AND version = $2";
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(SQL).bind(flow_id).bind(version).fetch_optional(pool).await?))
    }

    /// The call's last answered turn: its reply (the question being asked
    /// now), its request hash and when it was answered.
    pub async fn last_turn(&self, call: i64) -> Result<Option<LastTurn>, StoreError> {
        const SQL: &str = "SELECT reply_content_type, reply, request_hash, created_at FROM call_events
                           WHERE call_id = $1 AND dedupe_key LIKE 'turn:%' ORDER BY id DESC LIMIT 1";
        let row: Option<LastTurnRow> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(call).fetch_optional(pool).await?);
        Ok(row.map(|r| LastTurn {
            reply: Reply { content_type: r.reply_content_type, body: r.reply },
            request_hash: r.request_hash,
            at: r.created_at,
        }))
    }

    pub async fn load_call(&self, provider: &str, call_id: &CallId) -> Result<Option<StoredCall>, StoreError> {
        const SQL: &str = "SELECT id, flow_id, flow_version, state, turn, version FROM calls
                           WHERE provider = $1 AND provider_call_id = $2";
        let row: Option<CallRow> =
            on_db!(&self.db, pool => sqlx::query_as(SQL).bind(provider).bind(call_id).fetch_optional(pool).await?);
        row.map(CallRow::into_call).transpose()
    }

    /// The call, and the reply already sent to the request `dedupe_key`
    /// names (a retry), in one round trip.
    pub async fn load_turn(
        &self,
        provider: &str,
        call_id: &CallId,
        dedupe_key: &str,
    ) -> Result<(Option<StoredCall>, Option<Reply>), StoreError> {
        const SQL: &str = "SELECT c.id, c.flow_id, c.flow_version, c.state, c.turn, c.version,
                                  e.reply_content_type, e.reply
                           FROM calls c LEFT JOIN call_events e ON e.call_id = c.id AND e.dedupe_key = $3
                           WHERE c.provider = $1 AND c.provider_call_id = $2";
        let row: Option<CallTurnRow> = on_db!(&self.db, pool => {
            sqlx::query_as(SQL).bind(provider).bind(call_id).bind(dedupe_key).fetch_optional(pool).await?
        });
        let Some(row) = row else { return Ok((None, None)) };
        let reply = match (row.reply_content_type, row.reply) {
            (Some(content_type), Some(body)) => Some(Reply { content_type, body }),
            _ => None,
        };
        Ok((Some(row.call.into_call()?), reply))
    }

    /// Commits one webhook turn (see the module docs).
    pub async fn commit_turn(&self, commit: TurnCommit) -> Result<CommitOutcome, StoreError> {
        match (&self.writer, &self.db) {
            (Some(writer), _) => writer.commit(commit).await,
            (None, Db::Sqlite(pool)) => super::group::commit_alone(pool, &commit).await,
            (None, db) => commit_alone(db, &commit).await,
        }
    }

    /// Calls not ended and not updated since `before`, oldest first.
    pub async fn idle_calls(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<IdleCall>, StoreError> {
        const SQL: &str = "SELECT provider, provider_call_id FROM calls
                           WHERE ended_at IS NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2";
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).bind(before).bind(limit).fetch_all(pool).await?))
    }

    pub async fn counts(&self) -> Result<Counts, StoreError> {
        const SQL: &str = "SELECT (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM call_events) AS events,
                                  (SELECT count(*) FROM cases) AS cases";
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).fetch_one(pool).await?))
    }

    /// Calls not yet ended that had a webhook in the last ten minutes.
    pub async fn calls_in_progress(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT count(*) FROM calls WHERE ended_at IS NULL AND updated_at > $1";
        let since = now - chrono::Duration::minutes(10);
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(SQL).bind(since).fetch_one(pool).await?))
    }
}
