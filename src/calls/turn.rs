//! One webhook turn as the calls' store writes it: what a turn commits
//! ([`TurnCommit`]), how it ends ([`CommitOutcome`]), and the SQL that writes
//! it in a transaction — used by [`CallStore`](super::CallStore) one turn at
//! a time and by the SQLite group writer (`group.rs`, `batch.rs`) for many.

use chrono::{DateTime, Utc};

use crate::{
    cases::store::fold_into_case,
    db::{Db, StoreError, Tx},
    domain::CallId,
    flow::CallState,
    gateway::Reply,
    on_tx,
};

/// Which call row a commit writes.
#[derive(Debug, Clone)]
pub enum CallWrite {
    /// The first webhook of a call: insert it (refused if another request
    /// inserted it first).
    New { provider: String, provider_call_id: CallId, phone: Option<String>, flow_id: String, flow_version: String },
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
    /// On disk; the call's row id.
    Committed(i64),
    /// This request's dedupe key is already recorded: it is a retry.
    Duplicate,
    /// The call changed since it was read (or was created concurrently).
    Conflict,
}

/// Commits one turn in a transaction of its own (rolled back on drop unless
/// it commits).
pub(super) async fn commit_alone(db: &Db, commit: &TurnCommit) -> Result<CommitOutcome, StoreError> {
    let mut tx = db.begin().await?;
    let outcome = apply_turn(&mut tx, commit).await?;
    if matches!(outcome, CommitOutcome::Committed(_)) {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// Writes one webhook turn (the call, its event, the fold into its case) in
/// `tx`; the caller commits when the outcome is `Committed`.
pub(super) async fn apply_turn(tx: &mut Tx<'_>, commit: &TurnCommit) -> Result<CommitOutcome, StoreError> {
    let Some(call_id) = write_call(tx, commit).await? else {
        return Ok(CommitOutcome::Conflict);
    };
    if !insert_event(tx, call_id, commit).await? {
        return Ok(CommitOutcome::Duplicate);
    }
    if commit.fold_into_case {
        match fold_into_case(tx, call_id, &commit.state.data, commit.at).await {
            // Another instance opened this number's case first: go round again.
            Err(e) if e.is_unique_violation() => return Ok(CommitOutcome::Conflict),
            other => other?,
        }
    }
    Ok(CommitOutcome::Committed(call_id))
}

/// Inserts or updates the call row; `None` when another request got there first.
async fn write_call(tx: &mut Tx<'_>, commit: &TurnCommit) -> Result<Option<i64>, StoreError> {
    const INSERT: &str = "INSERT INTO calls (provider, provider_call_id, phone, flow_id, flow_version, state, turn,
                                             version, node, end_reason, ended_at, started_at, updated_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $11)
                          ON CONFLICT (provider, provider_call_id) DO NOTHING
                          RETURNING id";
    const UPDATE: &str = "UPDATE calls SET state = $1, turn = $2, version = version + 1, node = $3,
                                 end_reason = coalesce(end_reason, $4), ended_at = coalesce(ended_at, $5), updated_at = $6
                          WHERE id = $7 AND version = $8";
    let state = serde_json::to_string(&commit.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (end_reason, ended_at) = match commit.state.ended {
        Some(ending) => (Some(ending.reason.as_str()), Some(commit.at)),
        None => (None, None),
    };
    let turn = i64::from(commit.next_turn);
    let node = &commit.state.node;
    match &commit.call {
        CallWrite::New { provider, provider_call_id, phone, flow_id, flow_version } => Ok(on_tx!(tx, conn => {
            sqlx::query_scalar(INSERT)
                .bind(provider)
                .bind(provider_call_id)
                .bind(phone)
                .bind(flow_id)
                .bind(flow_version)
                .bind(&state)
                .bind(turn)
                .bind(node)
                .bind(end_reason)
                .bind(ended_at)
                .bind(commit.at)
                .fetch_optional(&mut **conn)
                .await?
        })),
        CallWrite::Existing { id, expected_version } => {
            let updated = on_tx!(tx, conn => {
                sqlx::query(UPDATE)
                    .bind(&state)
                    .bind(turn)
                    .bind(node)
                    .bind(end_reason)
                    .bind(ended_at)
                    .bind(commit.at)
                    .bind(id)
                    .bind(expected_version)
                    .execute(&mut **conn)
                    .await?
                    .rows_affected()
            });
            Ok((updated == 1).then_some(*id))
        }
    }
}

/// Binds a turn's event row, in column order: call, dedupe key, kind,
/// input, request hash, node before, node after, reply type, reply, at.
macro_rules! bind_event {
    ($query:expr, $call_id:expr, $commit:expr) => {{
        let commit: &TurnCommit = $commit;
        let event = &commit.event;
        $query
            .bind($call_id)
            .bind(&event.dedupe_key)
            .bind(&event.kind)
            .bind(&event.input)
            .bind(&event.request_hash)
            .bind(&event.node_before)
            .bind(&commit.state.node)
            .bind(&commit.reply.content_type)
            .bind(&commit.reply.body)
            .bind(commit.at)
    }};
}
pub(super) use bind_event;

/// Records the webhook; false when its dedupe key is already there (a retry).
async fn insert_event(tx: &mut Tx<'_>, call_id: i64, commit: &TurnCommit) -> Result<bool, StoreError> {
    const SQL: &str =
        "INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before, node_after,
                                               reply_content_type, reply, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                       ON CONFLICT (call_id, dedupe_key) DO NOTHING";
    let inserted = on_tx!(tx, conn => {
        bind_event!(sqlx::query(SQL), call_id, commit)
            .execute(&mut **conn)
            .await?
            .rows_affected()
    });
    Ok(inserted == 1)
}
