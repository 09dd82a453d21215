//! A group of webhook turns written in a handful of statements (SQLite's
//! group commit, see `group.rs`): each statement takes the whole group as
//! multi-row `VALUES`, bound like any parameter (see
//! `db::sqlite::group_sql`: a few texts per statement, each prepared once).
//! Per group: one read for retries among the calls' events, one update of
//! the calls that move on, one insert of the calls that start, one insert of
//! the events, then the folds into cases of the calls that end
//! (`cases::group`: a read and three writes for all of them).
//!
//! The writer holds SQLite's write lock for the whole transaction, so what
//! the first statement reads still holds for the last. Outcomes are those
//! one turn at a time would have had: a turn whose call moved on is a
//! `Conflict`, a retry's turn a `Duplicate`, and neither writes anything. A
//! group with two turns of one call is not for this path (`group.rs` uses
//! savepoints for it); any error fails the group, which `group.rs` then
//! commits one turn at a time.

use std::collections::{HashMap, HashSet};

use super::turn::{CallWrite, CommitOutcome, TurnCommit, bind_event};
use crate::{
    cases::group::{Fold, fold_group},
    db::{
        StoreError, Tx,
        sqlite::{group_sql, pad_rows},
    },
};

/// Retries among the turns of calls already stored: (call id, dedupe key).
const DUPLICATES: &str = "SELECT e.call_id, e.dedupe_key FROM call_events e
    JOIN (VALUES {rows}) v ON e.call_id = v.column1 AND e.dedupe_key = v.column2";

/// Calls that move on, if still at the version their turn was decided on:
/// (id, expected version, state, turn, node, end reason, ended at, at).
const UPDATE_CALLS: &str = "UPDATE calls SET state = v.column3, turn = v.column4, version = calls.version + 1,
        node = v.column5, end_reason = coalesce(calls.end_reason, v.column6),
        ended_at = coalesce(calls.ended_at, v.column7), updated_at = v.column8
    FROM (VALUES {rows}) AS v WHERE calls.id = v.column1 AND calls.version = v.column2
    RETURNING calls.id";

/// Calls that start; one another request inserted first is left alone.
const INSERT_CALLS: &str = "INSERT INTO calls (provider, provider_call_id, phone, flow_id, flow_version, state, turn,
        version, node, end_reason, ended_at, started_at, updated_at)
    SELECT column1, column2, column3, column4, column5, column6, column7, 1, column8, column9, column10,
        column11, column11
    FROM (VALUES {rows}) WHERE column1 IS NOT NULL
    ON CONFLICT (provider, provider_call_id) DO NOTHING
    RETURNING id, provider, provider_call_id";

const INSERT_EVENTS: &str = "INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before,
        node_after, reply_content_type, reply, created_at)
    SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10
    FROM (VALUES {rows}) WHERE column1 IS NOT NULL";

/// True when no two turns are of one call: this path can take them.
pub(super) fn takes(commits: &[TurnCommit]) -> bool {
    let mut seen = HashSet::new();
    commits.iter().all(|c| {
        seen.insert(match &c.call {
            CallWrite::New { provider, provider_call_id, .. } => (provider.as_str(), provider_call_id.as_str(), 0),
            CallWrite::Existing { id, .. } => ("", "", *id),
        })
    })
}

/// Binds the state a turn leaves its call in, in column order: state (as
/// JSON), turn, node, end reason, ended at, at. `?` on a state that does
/// not serialise.
macro_rules! bind_state {
    ($query:expr, $commit:expr) => {{
        let commit: &TurnCommit = $commit;
        let state = serde_json::to_string(&commit.state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ending = commit.state.ended.map(|e| (e.reason.as_str(), commit.at));
        $query
            .bind(state)
            .bind(i64::from(commit.next_turn))
            .bind(&commit.state.node)
            .bind(ending.map(|(reason, _)| reason))
            .bind(ending.map(|(_, at)| at))
            .bind(commit.at)
    }};
}

/// Writes the turns (see the module docs) in `tx`; the caller commits.
pub(super) async fn write(
    tx: &mut Tx<'_>,
    commits: &[TurnCommit],
) -> Result<Vec<Result<CommitOutcome, StoreError>>, StoreError> {
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let mut outcomes: Vec<Option<CommitOutcome>> = vec![None; commits.len()];

    // Retries of turns already stored.
    let existing: Vec<(i64, &TurnCommit)> = commits
        .iter()
        .filter_map(|c| match c.call {
            CallWrite::Existing { id, .. } => Some((id, c)),
            CallWrite::New { .. } => None,
        })
        .collect();
    if !existing.is_empty() {
        let mut query = sqlx::query_as(group_sql(DUPLICATES, 2, existing.len()));
        for (id, commit) in &existing {
            query = query.bind(id).bind(&commit.event.dedupe_key);
        }
        let stored: Vec<(i64, String)> = pad_rows(query, 2, existing.len()).fetch_all(&mut **conn).await?;
        let stored: HashSet<(i64, String)> = stored.into_iter().collect();
        for (outcome, commit) in outcomes.iter_mut().zip(commits) {
            if let CallWrite::Existing { id, .. } = commit.call
                && stored.contains(&(id, commit.event.dedupe_key.clone()))
            {
                *outcome = Some(CommitOutcome::Duplicate);
            }
        }
    }

    // Calls that move on, and calls that start.
    let pending = || outcomes.iter().zip(commits).filter(|(o, _)| o.is_none()).map(|(_, c)| c);
    let moving: Vec<&TurnCommit> = pending().filter(|c| matches!(c.call, CallWrite::Existing { .. })).collect();
    let starting: Vec<&TurnCommit> = pending().filter(|c| matches!(c.call, CallWrite::New { .. })).collect();
    let moved: HashSet<i64> = if moving.is_empty() {
        HashSet::new()
    } else {
        let mut query = sqlx::query_scalar(group_sql(UPDATE_CALLS, 8, moving.len()));
        for commit in &moving {
            let CallWrite::Existing { id, expected_version } = commit.call else { continue };
            query = bind_state!(query.bind(id).bind(expected_version), commit);
        }
        let ids: Vec<i64> = pad_rows(query, 8, moving.len()).fetch_all(&mut **conn).await?;
        ids.into_iter().collect()
    };
    let started: HashMap<(String, String), i64> = if starting.is_empty() {
        HashMap::new()
    } else {
        let mut query = sqlx::query_as(group_sql(INSERT_CALLS, 11, starting.len()));
        for commit in &starting {
            let CallWrite::New { provider, provider_call_id, phone, flow_id, flow_version } = &commit.call else {
                continue;
            };
            let call = query.bind(provider).bind(provider_call_id).bind(phone).bind(flow_id).bind(flow_version);
            query = bind_state!(call, commit);
        }
        let rows: Vec<(i64, String, String)> = pad_rows(query, 11, starting.len()).fetch_all(&mut **conn).await?;
        rows.into_iter().map(|(id, provider, call)| ((provider, call), id)).collect()
    };
    for (outcome, commit) in outcomes.iter_mut().zip(commits) {
        if outcome.is_some() {
            continue;
        }
        let id = match &commit.call {
            CallWrite::Existing { id, .. } => moved.contains(id).then_some(*id),
            CallWrite::New { provider, provider_call_id, .. } => {
                started.get(&(provider.clone(), provider_call_id.to_string())).copied()
            }
        };
        *outcome = Some(id.map_or(CommitOutcome::Conflict, CommitOutcome::Committed));
    }

    // The events of the turns that committed, then the folds.
    let committed: Vec<(i64, &TurnCommit)> = outcomes
        .iter()
        .zip(commits)
        .filter_map(|(outcome, commit)| match outcome {
            Some(CommitOutcome::Committed(call_id)) => Some((*call_id, commit)),
            _ => None,
        })
        .collect();
    if !committed.is_empty() {
        let mut query = sqlx::query(group_sql(INSERT_EVENTS, 10, committed.len()));
        for (call_id, commit) in &committed {
            query = bind_event!(query, call_id, commit);
        }
        let written = pad_rows(query, 10, committed.len()).execute(&mut **conn).await?.rows_affected();
        if usize::try_from(written).ok() != Some(committed.len()) {
            return Err(StoreError::Corrupt(format!("{written} of {} events written", committed.len())));
        }
    }
    let folds: Vec<Fold<'_>> = committed
        .iter()
        .filter(|(_, commit)| commit.fold_into_case)
        .map(|(call_id, commit)| Fold { call_id: *call_id, data: &commit.state.data, at: commit.at })
        .collect();
    fold_group(tx, &folds).await?;
    Ok(outcomes.into_iter().map(|o| Ok(o.unwrap_or(CommitOutcome::Conflict))).collect())
}
