//! Coordinator figures, the scoped export and the audit log.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use sqlx::{Row, SqlitePool};

use super::queue::{in_scope, scoped};
use crate::{
    cases::CaseRecord,
    queue::Scope,
    storage::{AuditEntry, DayOutcomes, DistrictCount, StoreError},
};

pub(super) async fn waiting_by_district(
    pool: &SqlitePool,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Vec<DistrictCount>, StoreError> {
    const SQL: &str = concat!(
        "SELECT home_state_code, home_district_code, count(*) FROM cases
         WHERE status = 'queued' AND closed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?4) AND ",
        in_scope!(),
        " GROUP BY home_state_code, home_district_code ORDER BY count(*) DESC, home_state_code, home_district_code"
    );
    let rows = scoped(SQL, scope).bind(now).fetch_all(pool).await?;
    Ok(rows
        .iter()
        .map(|r| DistrictCount { home_state_code: r.get(0), home_district_code: r.get(1), waiting: r.get(2) })
        .collect())
}

pub(super) async fn first_callback_delays(pool: &SqlitePool, scope: &Scope) -> Result<Vec<i64>, StoreError> {
    const SQL: &str = concat!(
        "SELECT first_call_at, first_attempt_at FROM cases WHERE first_attempt_at IS NOT NULL AND ",
        in_scope!()
    );
    let rows = scoped(SQL, scope).fetch_all(pool).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let (first_call, first_attempt): (DateTime<Utc>, DateTime<Utc>) = (r.get(0), r.get(1));
            (first_attempt - first_call).num_seconds().max(0)
        })
        .collect())
}

pub(super) async fn attempts_by_user(
    pool: &SqlitePool,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError> {
    let rows =
        sqlx::query("SELECT user_id, count(*), max(started_at) FROM attempts WHERE started_at >= ? GROUP BY user_id")
            .bind(since)
            .fetch_all(pool)
            .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

pub(super) async fn outcomes_per_day(
    pool: &SqlitePool,
    scope: &Scope,
    since: DateTime<Utc>,
) -> Result<Vec<DayOutcomes>, StoreError> {
    const SQL: &str = concat!(
        "SELECT substr(a.finished_at, 1, 10) AS day, a.outcome, count(*) FROM attempts a
         JOIN cases ON cases.id = a.case_id
         WHERE a.outcome IS NOT NULL AND a.finished_at >= ?4 AND ",
        in_scope!(),
        " GROUP BY day, a.outcome ORDER BY day, a.outcome"
    );
    let rows = scoped(SQL, scope).bind(since).fetch_all(pool).await?;
    Ok(rows.iter().map(|r| DayOutcomes { day: r.get(0), outcome: r.get(1), count: r.get(2) }).collect())
}

pub(super) fn export_scoped_cases<'a>(
    pool: &'a SqlitePool,
    scope: &'a Scope,
) -> BoxStream<'a, Result<CaseRecord, StoreError>> {
    const SQL: &str = concat!(
        "SELECT id, phone, language, consent, home_state_code, home_district_code, need,
                recording_url, status, calls, first_call_at, last_call_at
         FROM cases WHERE ",
        in_scope!(),
        " ORDER BY id"
    );
    scoped(SQL, scope)
        .fetch(pool)
        .map_err(StoreError::from)
        .and_then(|row| async move { Ok(sqlx::FromRow::from_row(&row)?) })
        .boxed()
}

pub(super) async fn audit(pool: &SqlitePool, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (at, user_id, action, case_id, details) VALUES (?, ?, ?, ?, ?)")
        .bind(entry.at)
        .bind(entry.user_id)
        .bind(&entry.action)
        .bind(entry.case_id)
        .bind(&entry.details)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn audit_log(pool: &SqlitePool, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        r#"SELECT a.at, a.user_id, u.username, a.action, a.case_id, a.details
           FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id DESC LIMIT ?"#,
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            at: r.get(0),
            user_id: r.get(1),
            username: r.get(2),
            action: r.get(3),
            case_id: r.get(4),
            details: r.get(5),
        })
        .collect())
}
