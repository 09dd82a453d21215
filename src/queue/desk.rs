//! The volunteer's desk: the queue operations the web pages and the JSON
//! API share — counts, take next, open a case, record an outcome, release —
//! with the time, the lease and the audit log applied in one place.
//!
//! It holds the queue's store and the audit log; nothing else.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount, QueueStore, Scope};
use crate::{
    audit::{AuditEntry, AuditStore},
    auth::User,
    calls::Clock,
    db::StoreError,
};

/// A case opened by a user: what they may see of it.
#[derive(Debug, Clone)]
pub struct OpenedCase {
    pub case: CaseView,
    pub history: CaseHistory,
    /// The caller's number, shown only to the volunteer holding the case
    /// (every showing is audited); `None` otherwise.
    pub phone: Option<String>,
    /// The number the caller asked to be called back on, dialled first:
    /// like `phone`, only for the holder.
    pub callback_phone: Option<String>,
    pub held: bool,
}

#[derive(Clone)]
pub struct Desk {
    queue: QueueStore,
    audit: AuditStore,
    clock: Clock,
    lease: Duration,
}

impl Desk {
    pub fn new(queue: QueueStore, audit: AuditStore, clock: Clock, lease: Duration) -> Self {
        Self { queue, audit, clock, lease }
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn queue(&self) -> &QueueStore {
        &self.queue
    }

    /// The audit log the desk writes to.
    pub fn audit_log(&self) -> &AuditStore {
        &self.audit
    }

    pub async fn counts(&self, user: &User) -> Result<Vec<QueueCount>, StoreError> {
        self.queue.queue_counts(&Scope::of(user), self.now()).await
    }

    /// Claims the next waiting case for the user; `None` when none waits.
    pub async fn take_next(&self, user: &User) -> Result<Option<i64>, StoreError> {
        let now = self.now();
        let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(15));
        let started = std::time::Instant::now();
        let claimed = self.queue.claim_next(&Scope::of(user), now, lease_until).await;
        crate::metrics::claim_latency(started.elapsed());
        claimed
    }

    /// A case in the user's scope with its history; `None` when it does not
    /// exist for them. The number is revealed (and audited) only to the
    /// holder of the case.
    pub async fn open(&self, user: &User, id: i64) -> Result<Option<OpenedCase>, StoreError> {
        let Some(case) = self.queue.case_view(&Scope::of(user), id).await? else { return Ok(None) };
        let mut history = self.queue.case_history(id).await?;
        let held = case.held_by(user.id, self.now());
        let phone = if held { case.phone.clone() } else { None };
        let callback_phone = if held { case.callback_phone.clone() } else { None };
        if phone.is_some() || callback_phone.is_some() {
            self.audit(user, "view_number", Some(id), None).await?;
        }
        if !held {
            for answer in &mut history.answers {
                answer.value = crate::cases::answers::masked_value(&answer.field, &answer.value);
            }
        }
        Ok(Some(OpenedCase { case, history, phone, callback_phone, held }))
    }

    pub async fn record_outcome(&self, user: &User, id: i64, report: &OutcomeReport) -> Result<ClaimCheck, StoreError> {
        self.queue.record_outcome(&Scope::of(user), id, report, self.now()).await
    }

    pub async fn release(&self, user: &User, id: i64) -> Result<ClaimCheck, StoreError> {
        self.queue.release_case(&Scope::of(user), id, self.now()).await
    }

    /// Notes in the audit log that `user` did `action` (to a case).
    pub async fn audit(
        &self,
        user: &User,
        action: &str,
        case_id: Option<i64>,
        details: Option<String>,
    ) -> Result<(), StoreError> {
        let entry = AuditEntry {
            at: self.now(),
            user_id: Some(user.id),
            username: Some(user.username.clone()),
            action: action.to_owned(),
            case_id,
            details,
        };
        self.audit.record(&entry).await
    }

    /// Notes in the audit log that a partner's system (no user) did `action`.
    pub async fn audit_partner(&self, action: &str, details: String) -> Result<(), StoreError> {
        let entry = AuditEntry {
            at: self.now(),
            user_id: None,
            username: None,
            action: action.to_owned(),
            case_id: None,
            details: Some(details),
        };
        self.audit.record(&entry).await
    }
}
