//! Which gateway keeps a case's voice message (PostgreSQL). (Retention itself,
//! erasing long-closed cases, is `cases::CaseStore::purge_closed_cases`.)

use sqlx::PgPool;

use crate::storage::{StoreError, gateway_of_voice_message};

pub(super) async fn voice_message_gateway(pool: &PgPool, case_id: i64) -> Result<Option<String>, StoreError> {
    let url: Option<Option<String>> =
        sqlx::query_scalar("SELECT recording_url FROM cases WHERE id = $1").bind(case_id).fetch_optional(pool).await?;
    let Some(url) = url.flatten() else { return Ok(None) };
    let calls: Vec<(String, String)> =
        sqlx::query_as("SELECT provider, state FROM calls WHERE case_id = $1 ORDER BY id DESC")
            .bind(case_id)
            .fetch_all(pool)
            .await?;
    gateway_of_voice_message(&url, &calls)
}
