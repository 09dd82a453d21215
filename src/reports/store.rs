//! The reports' store: the figures and the scoped export, read from the
//! cases and their callback attempts; one SQL text for both backends.
//!
//! What differs by backend is how the scope's lists are bound and read
//! (`d::in_scope!`, the queue's filter, bound by `queue::store::scoped!`: JSON
//! arrays and `json_each` on SQLite, arrays and
//! `ANY` on PostgreSQL) and how a timestamp becomes its India day
//! (`d::india_day!`).

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream::BoxStream};

use super::{DayOutcomes, DistrictCount, callback_delay};
use crate::{
    cases::CaseRecord,
    db::{Db, StoreError},
    on_db,
    queue::{Scope, store::scoped},
};

#[derive(sqlx::FromRow)]
struct FirstCallback {
    first_call_at: DateTime<Utc>,
    first_attempt_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserAttempts {
    user_id: i64,
    attempts: i64,
    latest: DateTime<Utc>,
}

/// Coordinator and admin figures.
#[derive(Debug, Clone)]
pub struct ReportStore {
    db: Db,
}

impl ReportStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Waiting cases in scope by state and district, most waiting first.
    pub async fn waiting_by_district(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
    ) -> Result<Vec<DistrictCount>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT home_state_code, home_district_code, count(*) AS waiting FROM cases
                 WHERE status = 'queued' AND closed_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $5)
                   AND ",
                d::in_scope!(),
                " GROUP BY home_state_code, home_district_code
                  ORDER BY count(*) DESC, home_state_code, home_district_code"
            );
            scoped!(d, sqlx::query_as(SQL), scope).bind(now).fetch_all(pool).await?
        }))
    }

    /// For cases in scope that have had a callback: seconds from the first
    /// call to the first callback attempt.
    pub async fn first_callback_delays(&self, scope: &Scope) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<FirstCallback> = on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT first_call_at, first_attempt_at FROM cases WHERE first_attempt_at IS NOT NULL AND ",
                d::in_scope!()
            );
            scoped!(d, sqlx::query_as(SQL), scope).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|r| callback_delay(r.first_call_at, r.first_attempt_at)).collect())
    }

    /// Per user: callback attempts since `since`, and the latest one
    /// (user id, attempts, latest).
    pub async fn attempts_by_user(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError> {
        const SQL: &str = "SELECT user_id, count(*) AS attempts, max(started_at) AS latest FROM attempts
                           WHERE started_at >= $1 GROUP BY user_id";
        let rows: Vec<UserAttempts> = on_db!(&self.db, pool => sqlx::query_as(SQL).bind(since).fetch_all(pool).await?);
        Ok(rows.into_iter().map(|r| (r.user_id, r.attempts, r.latest)).collect())
    }

    /// Outcomes per India day since `since`, for cases in scope.
    pub async fn outcomes_per_day(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<DayOutcomes>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT ",
                d::india_day!("a.finished_at"),
                " AS day, a.outcome, count(*) AS count FROM attempts a
                 JOIN cases ON cases.id = a.case_id
                 WHERE a.outcome IS NOT NULL AND a.finished_at >= $5 AND ",
                d::in_scope!(),
                " GROUP BY day, a.outcome ORDER BY day, a.outcome"
            );
            scoped!(d, sqlx::query_as(SQL), scope).bind(since).fetch_all(pool).await?
        }))
    }

    /// The cases in a user's scope, streamed in id order.
    pub fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>> {
        on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT id, phone, language, consent, home_state_code, home_district_code, need,
                        recording_url, pin_code, place_recording_url, status, calls, first_call_at,
                        last_call_at, callback_phone
                 FROM cases WHERE ",
                d::in_scope!(),
                " ORDER BY id"
            );
            scoped!(d, sqlx::query_as(SQL), scope).fetch(pool).map_err(StoreError::from).boxed()
        })
    }
}
