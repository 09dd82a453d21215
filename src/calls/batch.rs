//! A group of webhook turns written in a handful of statements (SQLite's
//! group commit, see `group.rs`): each statement takes the whole group as
//! one JSON array, read with `json_each`, so the SQL text stays the same
//! whatever the group's size and stays prepared. Per group: one read for
//! retries among the calls' events, one update of the calls that move on,
//! one insert of the calls that start, one insert of the events, then the
//! folds into cases of the calls that end (one in nine turns).
//!
//! The writer holds SQLite's write lock for the whole transaction, so what
//! the first statement reads still holds for the last. Outcomes are those
//! one turn at a time would have had: a turn whose call moved on is a
//! `Conflict`, a retry's turn a `Duplicate`, and neither writes anything. A
//! group with two turns of one call is not for this path (`group.rs` uses
//! savepoints for it); any error fails the group, which `group.rs` then
//! commits one turn at a time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::store::{CallWrite, CommitOutcome, TurnCommit};
use crate::{
    cases::store::fold_into_case,
    db::{StoreError, Tx},
};

/// Retries among the turns of calls already stored.
const DUPLICATES: &str = "SELECT e.call_id, e.dedupe_key FROM call_events e
    JOIN json_each($1) j ON e.call_id = j.value ->> 'id' AND e.dedupe_key = j.value ->> 'key'";

/// Calls that move on, if still at the version their turn was decided on.
const UPDATE_CALLS: &str = "WITH v AS (SELECT value ->> 'id' AS id, value ->> 'expected' AS expected,
        value ->> 'state' AS state, value ->> 'turn' AS turn, value ->> 'node' AS node,
        value ->> 'end_reason' AS end_reason, value ->> 'ended_at' AS ended_at, value ->> 'at' AS at
        FROM json_each($1))
    UPDATE calls SET state = v.state, turn = v.turn, version = calls.version + 1, node = v.node,
        end_reason = coalesce(calls.end_reason, v.end_reason), ended_at = coalesce(calls.ended_at, v.ended_at),
        updated_at = v.at
    FROM v WHERE calls.id = v.id AND calls.version = v.expected
    RETURNING calls.id";

/// Calls that start; one another request inserted first is left alone.
const INSERT_CALLS: &str = "INSERT INTO calls (provider, provider_call_id, phone, flow_id, flow_version, state, turn,
        version, node, end_reason, ended_at, started_at, updated_at)
    SELECT value ->> 'provider', value ->> 'call', value ->> 'phone', value ->> 'flow_id',
        value ->> 'flow_version', value ->> 'state', value ->> 'turn', 1, value ->> 'node',
        value ->> 'end_reason', value ->> 'ended_at', value ->> 'at', value ->> 'at'
    FROM json_each($1) WHERE true
    ON CONFLICT (provider, provider_call_id) DO NOTHING
    RETURNING id, provider, provider_call_id";

const INSERT_EVENTS: &str = "INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before,
        node_after, reply_content_type, reply, created_at)
    SELECT value ->> 'call_id', value ->> 'key', value ->> 'kind', value ->> 'input', value ->> 'hash',
        value ->> 'node_before', value ->> 'node_after', value ->> 'content_type', value ->> 'reply', value ->> 'at'
    FROM json_each($1) WHERE true";

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

#[derive(Serialize)]
struct Key<'a> {
    id: i64,
    key: &'a str,
}

/// What a turn writes to its call row.
#[derive(Serialize)]
struct CallRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<&'a str>,
    phone: Option<&'a str>,
    flow_id: Option<&'a str>,
    flow_version: Option<&'a str>,
    state: String,
    turn: u32,
    node: &'a str,
    end_reason: Option<&'static str>,
    ended_at: Option<String>,
    at: String,
}

#[derive(Serialize)]
struct EventRow<'a> {
    call_id: i64,
    key: &'a str,
    kind: &'a str,
    input: &'a str,
    hash: &'a str,
    node_before: Option<&'a str>,
    node_after: &'a str,
    content_type: &'a str,
    reply: &'a str,
    at: String,
}

/// A timestamp as sqlx's SQLite driver writes one, so stored times compare.
fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn json<T: Serialize>(rows: &T) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn call_row(commit: &TurnCommit) -> Result<CallRow<'_>, StoreError> {
    let (end_reason, ended_at) = match commit.state.ended {
        Some(ending) => (Some(ending.reason.as_str()), Some(sqlite_time(commit.at))),
        None => (None, None),
    };
    let mut row = CallRow {
        id: None,
        expected: None,
        provider: None,
        call: None,
        phone: None,
        flow_id: None,
        flow_version: None,
        state: json(&commit.state)?,
        turn: commit.next_turn,
        node: &commit.state.node,
        end_reason,
        ended_at,
        at: sqlite_time(commit.at),
    };
    match &commit.call {
        CallWrite::Existing { id, expected_version } => (row.id, row.expected) = (Some(*id), Some(*expected_version)),
        CallWrite::New { provider, provider_call_id, phone, flow_id, flow_version } => {
            row.provider = Some(provider);
            row.call = Some(provider_call_id.as_str());
            row.phone = phone.as_deref();
            row.flow_id = Some(flow_id);
            row.flow_version = Some(flow_version);
        }
    }
    Ok(row)
}

/// Writes the turns (see the module docs) in `tx`; the caller commits.
pub(super) async fn write(
    tx: &mut Tx<'_>,
    commits: &[TurnCommit],
) -> Result<Vec<Result<CommitOutcome, StoreError>>, StoreError> {
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let mut outcomes: Vec<Option<CommitOutcome>> = vec![None; commits.len()];

    // Retries of turns already stored.
    let keys: Vec<Key<'_>> = commits
        .iter()
        .filter_map(|c| match c.call {
            CallWrite::Existing { id, .. } => Some(Key { id, key: &c.event.dedupe_key }),
            CallWrite::New { .. } => None,
        })
        .collect();
    if !keys.is_empty() {
        let stored: Vec<(i64, String)> = sqlx::query_as(DUPLICATES).bind(json(&keys)?).fetch_all(&mut **conn).await?;
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
    let mut moving = Vec::new();
    let mut starting = Vec::new();
    for (outcome, commit) in outcomes.iter().zip(commits) {
        match (outcome, &commit.call) {
            (Some(_), _) => {}
            (None, CallWrite::Existing { .. }) => moving.push(call_row(commit)?),
            (None, CallWrite::New { .. }) => starting.push(call_row(commit)?),
        }
    }
    let moved: HashSet<i64> = if moving.is_empty() {
        HashSet::new()
    } else {
        let ids: Vec<i64> = sqlx::query_scalar(UPDATE_CALLS).bind(json(&moving)?).fetch_all(&mut **conn).await?;
        ids.into_iter().collect()
    };
    let started: HashMap<(String, String), i64> = if starting.is_empty() {
        HashMap::new()
    } else {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as(INSERT_CALLS).bind(json(&starting)?).fetch_all(&mut **conn).await?;
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
    let events: Vec<EventRow<'_>> = outcomes
        .iter()
        .zip(commits)
        .filter_map(|(outcome, commit)| match outcome {
            Some(CommitOutcome::Committed(call_id)) => Some(EventRow {
                call_id: *call_id,
                key: &commit.event.dedupe_key,
                kind: &commit.event.kind,
                input: &commit.event.input,
                hash: &commit.event.request_hash,
                node_before: commit.event.node_before.as_deref(),
                node_after: &commit.state.node,
                content_type: &commit.reply.content_type,
                reply: &commit.reply.body,
                at: sqlite_time(commit.at),
            }),
            _ => None,
        })
        .collect();
    if !events.is_empty() {
        let written = sqlx::query(INSERT_EVENTS).bind(json(&events)?).execute(&mut **conn).await?.rows_affected();
        if usize::try_from(written).ok() != Some(events.len()) {
            return Err(StoreError::Corrupt(format!("{written} of {} events written", events.len())));
        }
    }
    for (outcome, commit) in outcomes.iter().zip(commits) {
        if let (Some(CommitOutcome::Committed(call_id)), true) = (outcome, commit.fold_into_case) {
            fold_into_case(tx, *call_id, &commit.state.data, commit.at).await?;
        }
    }
    Ok(outcomes.into_iter().map(|o| Ok(o.unwrap_or(CommitOutcome::Conflict))).collect())
}
