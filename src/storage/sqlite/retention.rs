//! Retention: erasing the personal fields of long-closed cases.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use crate::storage::{Purged, StoreError, erase_voice_message};

pub(super) async fn purge_closed_cases(
    pool: &SqlitePool,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    // Rolled back on drop if any step fails: a case is erased whole or not at all.
    let mut tx = pool.begin().await?;
    let cases = sqlx::query(
        "UPDATE cases SET purged_at = ? WHERE closed_at IS NOT NULL AND closed_at < ? AND purged_at IS NULL RETURNING id, recording_url",
    )
    .bind(now)
    .bind(before)
    .fetch_all(&mut *tx)
    .await?;
    let mut purged = Purged::default();
    for case in &cases {
        let id: i64 = case.get(0);
        if let Some(url) = case.get::<Option<String>, _>(1) {
            purged.recording_urls.push(url);
        }
        sqlx::query(
            r#"UPDATE cases SET phone = NULL, recording_url = NULL, recording_duration_secs = NULL, referred_to = NULL,
                      worker_name = NULL, village = NULL, ward = NULL, post_office = NULL, pin_code = NULL,
                      current_location = NULL WHERE id = ?"#,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE attempts SET notes = NULL, referred_to = NULL WHERE case_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let calls = sqlx::query("SELECT id, state FROM calls WHERE case_id = ?").bind(id).fetch_all(&mut *tx).await?;
        for call in calls {
            let call_id: i64 = call.get(0);
            let state = erase_voice_message(call.get(1))?;
            sqlx::query("UPDATE calls SET phone = NULL, state = ? WHERE id = ?")
                .bind(state)
                .bind(call_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                r#"UPDATE call_events SET input = '{"erased":true}'
                   WHERE call_id = ? AND kind IN ('recorded', 'recording_ready')"#,
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
