//! Retention: erasing the personal fields of long-closed cases (PostgreSQL).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crate::storage::{Purged, PurgedRecording, StoreError, erase_voice_message, gateway_of_voice_message};

pub(super) async fn purge_closed_cases(
    pool: &PgPool,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    // Rolled back on drop if any step fails: a case is erased whole or not at all.
    let mut tx = pool.begin().await?;
    let cases = sqlx::query(
        "UPDATE cases SET purged_at = $1 WHERE closed_at IS NOT NULL AND closed_at < $2 AND purged_at IS NULL RETURNING id, recording_url",
    )
    .bind(now)
    .bind(before)
    .fetch_all(&mut *tx)
    .await?;
    let mut purged = Purged::default();
    for case in &cases {
        let id: i64 = case.get(0);
        let calls: Vec<(i64, String, String)> = sqlx::query_as(CALLS_OF_CASE).bind(id).fetch_all(&mut *tx).await?;
        if let Some(url) = case.get::<Option<String>, _>(1) {
            let states: Vec<(String, String)> = calls.iter().map(|(_, p, s)| (p.clone(), s.clone())).collect();
            let gateway = gateway_of_voice_message(&url, &states)?;
            purged.recordings.push(PurgedRecording { url, gateway });
        }
        sqlx::query(
            r#"UPDATE cases SET phone = NULL, recording_url = NULL, recording_duration_secs = NULL, referred_to = NULL,
                      worker_name = NULL, village = NULL, ward = NULL, post_office = NULL, pin_code = NULL,
                      current_location = NULL WHERE id = $1"#,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE attempts SET notes = NULL, referred_to = NULL WHERE case_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (call_id, _, state) in calls {
            let state = erase_voice_message(state)?;
            sqlx::query("UPDATE calls SET phone = NULL, state = $1 WHERE id = $2")
                .bind(state)
                .bind(call_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                r#"UPDATE call_events SET input = '{"erased":true}'
                   WHERE call_id = $1 AND kind IN ('recorded', 'recording_ready')"#,
            )
            .bind(call_id)
            .execute(&mut *tx)
            .await?;
        }
        purged.cases += 1;
    }
    tx.commit().await?;
    Ok(purged)
}

/// A case's calls, newest first: id, provider and state (one SQL text for
/// both backends).
const CALLS_OF_CASE: &str = "SELECT id, provider, state FROM calls WHERE case_id = $1 ORDER BY id DESC";
