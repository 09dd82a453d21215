//! The PostgreSQL backend of the domains not yet moved to stores of their
//! own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::PgPool;

use super::{
    AuditEntry, CaseHistory, CaseView, ClaimCheck, DayOutcomes, DistrictCount, NewPromptVersion, OutcomeReport,
    PromptVersion, Purged, QueueCount, Store, StoreError,
};
use crate::{cases::CaseRecord, domain::Language, prompts::PromptKey, queue::Scope};

mod prompts;
mod queue;
mod reports;
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
    fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>> {
        reports::export_scoped_cases(&self.pool, scope)
    }

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

    async fn purge_closed_cases(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        retention::purge_closed_cases(&self.pool, before, now).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        reports::audit(&self.pool, entry).await
    }

    async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        reports::audit_log(&self.pool, limit).await
    }

    async fn waiting_by_district(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<DistrictCount>, StoreError> {
        reports::waiting_by_district(&self.pool, scope, now).await
    }

    async fn first_callback_delays(&self, scope: &Scope) -> Result<Vec<i64>, StoreError> {
        reports::first_callback_delays(&self.pool, scope).await
    }

    async fn attempts_by_user(&self, since: DateTime<Utc>) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError> {
        reports::attempts_by_user(&self.pool, since).await
    }

    async fn outcomes_per_day(&self, scope: &Scope, since: DateTime<Utc>) -> Result<Vec<DayOutcomes>, StoreError> {
        reports::outcomes_per_day(&self.pool, scope, since).await
    }

    async fn add_prompt_version(&self, version: &NewPromptVersion) -> Result<PromptVersion, StoreError> {
        prompts::add(&self.pool, version).await
    }

    async fn activate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
        id: i64,
    ) -> Result<Option<PromptVersion>, StoreError> {
        prompts::activate(&self.pool, language, key, id).await
    }

    async fn deactivate_prompt_version(
        &self,
        language: &Language,
        key: &PromptKey,
    ) -> Result<Option<PromptVersion>, StoreError> {
        prompts::deactivate(&self.pool, language, key).await
    }

    async fn prompt_versions(&self, language: &Language, key: &PromptKey) -> Result<Vec<PromptVersion>, StoreError> {
        prompts::versions(&self.pool, language, key).await
    }

    async fn active_prompt_versions(&self) -> Result<Vec<PromptVersion>, StoreError> {
        prompts::active(&self.pool).await
    }

    async fn prompt_audio(&self, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError> {
        prompts::audio(&self.pool, id, original).await
    }
}
