//! The PostgreSQL backend of the domains not yet moved to stores of their
//! own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount, Store, StoreError};
use crate::queue::Scope;

mod queue;
mod retention;

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Store for PgStore {
    async fn queue_counts(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<QueueCount>, StoreError> {
        queue::queue_counts(&self.pool, scope, now).await
    }

    async fn claim_next(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        queue::claim_next(&self.pool, scope, now, lease_until).await
    }

    async fn waiting_cases(&self, scope: &Scope, now: DateTime<Utc>, limit: i64) -> Result<Vec<CaseView>, StoreError> {
        queue::waiting_cases(&self.pool, scope, now, limit).await
    }

    async fn held_case(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        queue::held_case(&self.pool, scope, now).await
    }

    async fn case_view(&self, scope: &Scope, id: i64) -> Result<Option<CaseView>, StoreError> {
        queue::case_view(&self.pool, scope, id).await
    }

    async fn case_history(&self, id: i64) -> Result<CaseHistory, StoreError> {
        queue::case_history(&self.pool, id).await
    }

    async fn release_case(&self, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<ClaimCheck, StoreError> {
        queue::release_case(&self.pool, scope, id, now).await
    }

    async fn record_outcome(
        &self,
        scope: &Scope,
        id: i64,
        report: &OutcomeReport,
        now: DateTime<Utc>,
    ) -> Result<ClaimCheck, StoreError> {
        queue::record_outcome(&self.pool, scope, id, report, now).await
    }

    async fn open_call_attempt(
        &self,
        scope: &Scope,
        id: i64,
        gateway: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, ClaimCheck>, StoreError> {
        queue::open_call_attempt(&self.pool, scope, id, gateway, now).await
    }

    async fn attempt_caller(&self, attempt: i64) -> Result<Option<String>, StoreError> {
        queue::attempt_caller(&self.pool, attempt).await
    }

    async fn set_attempt_call_id(&self, attempt: i64, call_id: &str) -> Result<(), StoreError> {
        queue::set_attempt_call_id(&self.pool, attempt, call_id).await
    }

    async fn update_attempt_call(
        &self,
        gateway: &str,
        call_id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        queue::update_attempt_call(&self.pool, gateway, call_id, status, at).await
    }

    async fn voice_message_gateway(&self, case_id: i64) -> Result<Option<String>, StoreError> {
        retention::voice_message_gateway(&self.pool, case_id).await
    }
}
