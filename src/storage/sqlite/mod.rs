//! The SQLite backend of the domains not yet moved to stores of their own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::SqlitePool;

use super::{AuditEntry, DayOutcomes, DistrictCount, NewPromptVersion, PromptVersion, Purged, Store, StoreError};
use crate::{
    auth::{NewUser, User},
    cases::CaseRecord,
    domain::Language,
    prompts::PromptKey,
    queue::Scope,
};

mod prompts;
mod queue;
mod reports;
mod retention;
mod users;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn export_scoped_cases<'a>(&'a self, scope: &'a Scope) -> BoxStream<'a, Result<CaseRecord, StoreError>> {
        reports::export_scoped_cases(&self.pool, scope)
    }

    async fn create_user(&self, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError> {
        users::create_user(&self.pool, user, at).await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        users::users(&self.pool).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool, at: DateTime<Utc>) -> Result<(), StoreError> {
        users::set_user_disabled(&self.pool, username, disabled, at).await
    }

    async fn user_with_password(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        users::user_with_password(&self.pool, username).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        users::create_session(&self.pool, token_hash, user_id, csrf_token, at, expires_at).await
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>, StoreError> {
        users::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        users::delete_session(&self.pool, token_hash).await
    }

    async fn login_failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError> {
        users::login_failures(&self.pool, key).await
    }

    async fn admit_login_attempt(
        &self,
        key: &str,
        at: DateTime<Utc>,
        limit: &super::AttemptLimit,
    ) -> Result<Option<u32>, StoreError> {
        users::admit_login_attempt(&self.pool, key, at, limit).await
    }

    async fn refund_login_attempt(&self, key: &str) -> Result<(), StoreError> {
        users::refund_login_attempt(&self.pool, key).await
    }

    async fn clear_login_failures(&self, key: &str, idle_since: DateTime<Utc>) -> Result<(), StoreError> {
        users::clear_login_failures(&self.pool, key, idle_since).await
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
