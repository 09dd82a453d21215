//! Calls and their event log (PostgreSQL).

use sqlx::{Postgres, Transaction};

use crate::{
    flow::CallState,
    storage::{CallWrite, StoreError, TurnCommit},
};

fn state_json(state: &CallState) -> Result<String, StoreError> {
    serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Inserts or updates the call row; `None` when another request got there first.
pub(super) async fn write_call(
    tx: &mut Transaction<'_, Postgres>,
    commit: &TurnCommit,
) -> Result<Option<i64>, StoreError> {
    let state = state_json(&commit.state)?;
    let (end_reason, ended_at) = match commit.state.ended {
        Some(ending) => (Some(ending.reason.as_str()), Some(commit.at)),
        None => (None, None),
    };
    match &commit.call {
        CallWrite::New { provider, provider_call_id, phone, flow_id, flow_version } => {
            let id = sqlx::query_scalar(
                r#"INSERT INTO calls (provider, provider_call_id, phone, flow_id, flow_version, state, turn,
                                      version, node, end_reason, ended_at, started_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $11)
                   ON CONFLICT (provider, provider_call_id) DO NOTHING
                   RETURNING id"#,
            )
            .bind(provider)
            .bind(provider_call_id)
            .bind(phone)
            .bind(flow_id)
            .bind(flow_version)
            .bind(&state)
            .bind(i64::from(commit.next_turn))
            .bind(&commit.state.node)
            .bind(end_reason)
            .bind(ended_at)
            .bind(commit.at)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(id)
        }
        CallWrite::Existing { id, expected_version } => {
            let updated = sqlx::query(
                r#"UPDATE calls SET state = $1, turn = $2, version = version + 1, node = $3,
                          end_reason = coalesce(end_reason, $4), ended_at = coalesce(ended_at, $5), updated_at = $6
                   WHERE id = $7 AND version = $8"#,
            )
            .bind(&state)
            .bind(i64::from(commit.next_turn))
            .bind(&commit.state.node)
            .bind(end_reason)
            .bind(ended_at)
            .bind(commit.at)
            .bind(id)
            .bind(expected_version)
            .execute(&mut **tx)
            .await?;
            Ok((updated.rows_affected() == 1).then_some(*id))
        }
    }
}

/// Records the webhook; false when its dedupe key is already there (a retry).
pub(super) async fn insert_event(
    tx: &mut Transaction<'_, Postgres>,
    call_id: i64,
    commit: &TurnCommit,
) -> Result<bool, StoreError> {
    let event = &commit.event;
    let inserted = sqlx::query(
        r#"INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before, node_after,
                                    reply_content_type, reply, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (call_id, dedupe_key) DO NOTHING"#,
    )
    .bind(call_id)
    .bind(&event.dedupe_key)
    .bind(&event.kind)
    .bind(&event.input)
    .bind(&event.request_hash)
    .bind(&event.node_before)
    .bind(&commit.state.node)
    .bind(&commit.reply.content_type)
    .bind(&commit.reply.body)
    .bind(commit.at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
