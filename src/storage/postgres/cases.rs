//! Cases: folding ended calls in, and reading them out (PostgreSQL).
//!
//! The caller's open case is read `FOR UPDATE`, so two instances folding
//! calls from one number take turns; two racing to open the first case for
//! a number collide on the unique index, and the loser's turn is retried.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Row, Transaction, postgres::PgRow};

use crate::{
    cases::{CaseRecord, merge},
    domain::{Language, Need},
    flow::{Captured, VoiceMessage},
    storage::StoreError,
};

/// The case columns [`captured_from_row`] reads; a macro so queries stay static strings.
macro_rules! case_fields {
    () => {
        "language, consent, home_state_code, home_district_code, need, recording_url, recording_duration_secs"
    };
}

/// Folds an ended call into its caller's open case, or opens one. Safe to
/// repeat for the same call: the call's case is remembered on the call.
pub(super) async fn fold_into_case(
    tx: &mut Transaction<'_, Postgres>,
    call_id: i64,
    data: &Captured,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let call = sqlx::query("SELECT phone, case_id, started_at FROM calls WHERE id = $1")
        .bind(call_id)
        .fetch_one(&mut **tx)
        .await?;
    let phone: Option<String> = call.get("phone");
    let started_at: DateTime<Utc> = call.get("started_at");
    if let Some(case_id) = call.get::<Option<i64>, _>("case_id") {
        let case =
            sqlx::query(concat!("SELECT ", case_fields!(), ", last_call_id FROM cases WHERE id = $1 FOR UPDATE"))
                .bind(case_id)
                .fetch_one(&mut **tx)
                .await?;
        let latest = case.get::<Option<i64>, _>("last_call_id") == Some(call_id);
        let merged = merge(&captured_from_row(&case)?, data, latest);
        return update_case(tx, case_id, &merged, None, at).await;
    }
    let open = match &phone {
        Some(phone) => {
            sqlx::query(concat!(
                "SELECT id, ",
                case_fields!(),
                " FROM cases WHERE phone = $1 AND closed_at IS NULL FOR UPDATE"
            ))
            .bind(phone)
            .fetch_optional(&mut **tx)
            .await?
        }
        None => None,
    };
    let case_id = match open {
        Some(case) => {
            let case_id: i64 = case.get("id");
            let merged = merge(&captured_from_row(&case)?, data, true);
            update_case(tx, case_id, &merged, Some((call_id, started_at)), at).await?;
            case_id
        }
        None => {
            insert_case(tx, phone.as_deref(), &merge(&Captured::default(), data, true), call_id, started_at, at).await?
        }
    };
    sqlx::query("UPDATE calls SET case_id = $1 WHERE id = $2").bind(case_id).bind(call_id).execute(&mut **tx).await?;
    Ok(())
}

/// Writes merged fields; with `new_call`, counts one more call folded in.
async fn update_case(
    tx: &mut Transaction<'_, Postgres>,
    case_id: i64,
    fields: &Captured,
    new_call: Option<(i64, DateTime<Utc>)>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (added, last_call_id, last_call_at) = match new_call {
        Some((id, started)) => (1_i64, Some(id), Some(started)),
        None => (0_i64, None, None),
    };
    sqlx::query(
        r#"UPDATE cases SET language = $1, consent = $2, home_state_code = $3, home_district_code = $4, need = $5,
                  recording_url = $6, recording_duration_secs = $7, calls = calls + $8,
                  last_call_id = coalesce($9, last_call_id), last_call_at = coalesce($10, last_call_at), updated_at = $11,
                  priority = $12,
                  -- A referred caller who calls again needs a callback again.
                  status = CASE WHEN $13 = 1 AND status = 'follow_up' THEN 'queued' ELSE status END
           WHERE id = $14"#,
    )
    .bind(fields.language.as_ref().map(Language::as_str))
    .bind(fields.consent)
    .bind(fields.home_state.map(i64::from))
    .bind(fields.home_district.map(i64::from))
    .bind(fields.need.map(Need::as_str))
    .bind(fields.voice_message.as_ref().map(|m| m.url.as_str()))
    .bind(fields.voice_message.as_ref().and_then(|m| m.duration_secs).map(i64::from))
    .bind(added)
    .bind(last_call_id)
    .bind(last_call_at)
    .bind(at)
    .bind(priority(fields))
    .bind(added)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_case(
    tx: &mut Transaction<'_, Postgres>,
    phone: Option<&str>,
    fields: &Captured,
    call_id: i64,
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        r#"INSERT INTO cases (phone, language, consent, home_state_code, home_district_code, need, recording_url,
                              recording_duration_secs, status, calls, first_call_at, last_call_at, last_call_id,
                              created_at, updated_at, priority)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 1, $9, $10, $11, $12, $13, $14)
           RETURNING id"#,
    )
    .bind(phone)
    .bind(fields.language.as_ref().map(Language::as_str))
    .bind(fields.consent)
    .bind(fields.home_state.map(i64::from))
    .bind(fields.home_district.map(i64::from))
    .bind(fields.need.map(Need::as_str))
    .bind(fields.voice_message.as_ref().map(|m| m.url.as_str()))
    .bind(fields.voice_message.as_ref().and_then(|m| m.duration_secs).map(i64::from))
    .bind(started_at)
    .bind(started_at)
    .bind(call_id)
    .bind(at)
    .bind(at)
    .bind(priority(fields))
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Queue priority: medical need first.
fn priority(fields: &Captured) -> i64 {
    if fields.need == Some(Need::Medical) { 0 } else { 1 }
}

fn captured_from_row(row: &PgRow) -> Result<Captured, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("case {what}"));
    let language = row
        .get::<Option<String>, _>("language")
        .map(|l| Language::parse(&l).map_err(|_| corrupt("language")))
        .transpose()?;
    let need =
        row.get::<Option<String>, _>("need").map(|n| n.parse::<Need>().map_err(|_| corrupt("need"))).transpose()?;
    let voice_message = row.get::<Option<String>, _>("recording_url").map(|url| VoiceMessage {
        url,
        duration_secs: row.get::<Option<i64>, _>("recording_duration_secs").map(|d| d as u32),
    });
    Ok(Captured {
        language,
        consent: row.get("consent"),
        home_state: row.get::<Option<i64>, _>("home_state_code").map(|c| c as u8),
        home_district: row.get::<Option<i64>, _>("home_district_code").map(|c| c as u16),
        need,
        voice_message,
    })
}

pub(super) fn case_record(row: &PgRow) -> Result<CaseRecord, StoreError> {
    Ok(CaseRecord {
        id: row.try_get("id")?,
        phone: row.try_get("phone")?,
        language: row.try_get("language")?,
        consent: row.try_get("consent")?,
        home_state_code: row.try_get("home_state_code")?,
        home_district_code: row.try_get("home_district_code")?,
        need: row.try_get("need")?,
        recording_url: row.try_get("recording_url")?,
        status: row.try_get("status")?,
        calls: row.try_get("calls")?,
        first_call_at: row.try_get("first_call_at")?,
        last_call_at: row.try_get("last_call_at")?,
    })
}
