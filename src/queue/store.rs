//! The callback queue's store: counts, claims, outcomes and "Call now"
//! attempts; one SQL text for both backends.
//!
//! Every query that touches a case carries the user's scope as its first
//! four parameters (`$1` role, `$2` states, `$3` languages, `$4` units; `scoped!`
//! binds them as the backend's list parameters) and filters on the
//! dialect's `in_scope!()`, so a case outside the scope does not exist for
//! the user. Only the claim is written differently for each backend (see
//! `claim.rs`); which outcome does what is [`super::disposition`]'s, and
//! the SQL only stores its result.

use chrono::{DateTime, Utc};

use self::outcome::{fill_attempt, hold, store_outcome};
use super::{
    AnswerView, AttemptView, CallSummary, CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount, Scope,
    disposition, fits,
};
use crate::{
    db::{Db, StoreError, corrupt, is_unique_violation},
    on_db, on_tx,
};

/// Binds `$scope` as `$1` (role), `$2` (states), `$3` (languages) and `$4`
/// (units) of `$query`, the lists in the dialect `$d`'s form.
macro_rules! scoped {
    ($d:ident, $query:expr, $scope:expr) => {{
        let scope: &$crate::queue::Scope = $scope;
        $query
            .bind(scope.role.as_str())
            .bind($d::int_list(scope.states.iter().map(|s| i64::from(*s))))
            .bind($d::text_list(scope.languages.iter().map($crate::domain::Language::as_str)))
            .bind($d::int_list(scope.units.iter().copied()))
    }};
}
/// For every store whose queries filter by scope (`d::in_scope!()`).
pub(crate) use scoped;

/// Due and not held by a live lease, on table alias `c` (`$now` names the
/// parameter holding the time).
macro_rules! due {
    ($now:literal) => {
        concat!(
            "c.closed_at IS NULL AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= ",
            $now,
            ") AND (c.claimed_by IS NULL OR c.lease_expires_at <= ",
            $now,
            ")"
        )
    };
}

/// A waiting case: queued, due, and not held by a live lease (`$5` = now).
macro_rules! waiting {
    () => {
        concat!("c.status = 'queued' AND ", due!("$5"))
    };
}

/// The columns [`CaseView`] reads, but for `claimed_by_name`.
macro_rules! case_columns {
    () => {
        "c.id, c.phone, c.callback_phone, c.language, c.consent, c.home_state_code, c.home_district_code, c.need,
         c.recording_url, c.recording_duration_secs, c.place_recording_url, c.status, c.calls, c.first_call_at,
         c.last_call_at, c.claimed_by,
         c.lease_expires_at, c.next_attempt_at, c.no_answer_attempts, c.referred_to, c.worker_name, c.village,
         c.ward, c.post_office, c.pin_code, c.current_location"
    };
}

mod claim;
mod outcome;

/// The callback queue.
#[derive(Debug, Clone)]
pub struct QueueStore {
    db: Db,
}

impl QueueStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Waiting cases in scope, by language and home state.
    pub async fn queue_counts(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<QueueCount>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT c.language, c.home_state_code, count(*) AS waiting FROM cases c WHERE ",
                waiting!(),
                " AND ",
                d::in_scope!(),
                " GROUP BY c.language, c.home_state_code ORDER BY waiting DESC, c.language, c.home_state_code"
            );
            scoped!(d, sqlx::query_as(SQL), scope).bind(now).fetch_all(pool).await?
        }))
    }

    /// Atomically claims the next waiting case in scope until `lease_until`:
    /// the one the user already holds, else medical first, then the longest
    /// waiting. `None` when nothing is waiting. A user holds at most one
    /// case (a unique index on `claimed_by`), however many claims race.
    pub async fn claim_next(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        // A second "take next" (a double tap) gets the case already held.
        if let Some(id) = self.renew_held(scope, now, lease_until).await? {
            return Ok(Some(id));
        }
        self.drop_stale_claims(scope, now).await?;
        let claimed = match &self.db {
            Db::Sqlite(pool) => claim::on_sqlite(pool, scope, now, lease_until).await,
            Db::Postgres(pool) => claim::on_postgres(pool, scope, now, lease_until).await,
        };
        match claimed {
            Ok(Some(id)) => Ok(Some(id)),
            // Nothing left to take (or, on PostgreSQL, every candidate was
            // locked), or a concurrent tap by the same user claimed first
            // (the unique index on `claimed_by`): perhaps that tap took the
            // last case, and its claim is this one too.
            Ok(None) => self.renew_held(scope, now, lease_until).await,
            Err(e) if is_unique_violation(&e) => self.renew_held(scope, now, lease_until).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Extends the user's live claim to `lease_until`; the case, if any.
    async fn renew_held(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "UPDATE cases SET lease_expires_at = $7
                 WHERE claimed_by = $6 AND lease_expires_at > $5 AND status = 'queued' AND closed_at IS NULL AND ",
                d::in_scope!(),
                " RETURNING id"
            );
            scoped!(d, sqlx::query_scalar(SQL), scope)
                .bind(now)
                .bind(scope.user_id)
                .bind(lease_until)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Clears the user's claims that no longer hold (run out, or on a case
    /// that closed), so the one claim a user may have is free for the next.
    async fn drop_stale_claims(&self, scope: &Scope, now: DateTime<Utc>) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
                           WHERE claimed_by = $1 AND (lease_expires_at <= $2 OR status <> 'queued' OR closed_at IS NOT NULL)";
        on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(scope.user_id).bind(now).execute(pool).await.map(drop)?;
        });
        Ok(())
    }

    /// The next waiting cases in scope, in the order they will be taken.
    pub async fn waiting_cases(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<CaseView>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT ", case_columns!(), ", NULL AS claimed_by_name FROM cases c WHERE ",
                waiting!(),
                " AND ",
                d::in_scope!(),
                " ORDER BY c.priority, c.first_call_at, c.id LIMIT $6"
            );
            scoped!(d, sqlx::query_as(SQL), scope).bind(now).bind(limit).fetch_all(pool).await?
        }))
    }

    /// The case the user holds a live claim on, if any.
    pub async fn held_case(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT id FROM cases WHERE claimed_by = $6 AND lease_expires_at > $5 AND closed_at IS NULL AND ",
                d::in_scope!(),
                " ORDER BY lease_expires_at DESC LIMIT 1"
            );
            scoped!(d, sqlx::query_scalar(SQL), scope).bind(now).bind(scope.user_id).fetch_optional(pool).await?
        }))
    }

    /// A case, if it exists and is in scope.
    pub async fn case_view(&self, scope: &Scope, id: i64) -> Result<Option<CaseView>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "SELECT ", case_columns!(), ", u.username AS claimed_by_name
                 FROM cases c LEFT JOIN users u ON u.id = c.claimed_by WHERE c.id = $5 AND ",
                d::in_scope!()
            );
            scoped!(d, sqlx::query_as(SQL), scope).bind(id).fetch_optional(pool).await?
        }))
    }

    /// A case's calls and attempts (ask only after `case_view` found it).
    pub async fn case_history(&self, id: i64) -> Result<CaseHistory, StoreError> {
        const CALLS: &str = "SELECT started_at, provider, end_reason, node AS last_node FROM calls
                             WHERE case_id = $1 ORDER BY started_at, id";
        const ATTEMPTS: &str = "SELECT a.started_at, u.username, a.outcome, a.notes, a.referred_to, a.callback_at,
                                       a.gateway, a.call_status
                                FROM attempts a JOIN users u ON u.id = a.user_id
                                WHERE a.case_id = $1 ORDER BY a.started_at, a.id";
        // Each answer given, and whether it is what the case holds now.
        const ANSWERS: &str = "SELECT a.field, a.value, a.given_at, c.provider, c.provider_call_id AS call_sid,
                                      coalesce(CASE a.field
                                          WHEN 'home_state_code' THEN CAST(k.home_state_code AS TEXT) = a.value
                                          WHEN 'home_district_code' THEN CAST(k.home_district_code AS TEXT) = a.value
                                          WHEN 'need' THEN k.need = a.value
                                          WHEN 'callback_phone' THEN k.callback_phone = a.value
                                          ELSE FALSE
                                      END, FALSE) AS current
                               FROM case_answers a JOIN calls c ON c.id = a.call_id JOIN cases k ON k.id = a.case_id
                               WHERE a.case_id = $1 ORDER BY a.given_at, a.id";
        let calls: Vec<CallSummary> = on_db!(&self.db, pool => sqlx::query_as(CALLS).bind(id).fetch_all(pool).await?);
        let attempts: Vec<AttemptView> =
            on_db!(&self.db, pool => sqlx::query_as(ATTEMPTS).bind(id).fetch_all(pool).await?);
        let answers: Vec<AnswerView> =
            on_db!(&self.db, pool => sqlx::query_as(ANSWERS).bind(id).fetch_all(pool).await?);
        Ok(CaseHistory { calls, attempts, answers })
    }

    /// Why a held-case operation did not apply: the case is out of scope
    /// (or missing), or the user does not hold it.
    async fn why_not(&self, scope: &Scope, id: i64) -> Result<ClaimCheck, StoreError> {
        Ok(if self.case_view(scope, id).await?.is_some() { ClaimCheck::NotHeld } else { ClaimCheck::NotFound })
    }

    /// Gives a held case back to the queue.
    pub async fn release_case(&self, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<ClaimCheck, StoreError> {
        let released = on_db!(&self.db, pool, d => {
            const SQL: &str = concat!(
                "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
                 WHERE id = $5 AND claimed_by = $6 AND lease_expires_at > $7 AND ",
                d::in_scope!()
            );
            scoped!(d, sqlx::query(SQL), scope)
                .bind(id)
                .bind(scope.user_id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if released == 1 { Ok(ClaimCheck::Done) } else { self.why_not(scope, id).await }
    }

    /// Records a callback's outcome on a held case and releases it; the
    /// case goes where [`disposition`] says. An outcome that needs a call,
    /// on a case without the caller's number, is refused ([`fits`]).
    pub async fn record_outcome(
        &self,
        scope: &Scope,
        id: i64,
        report: &OutcomeReport,
        now: DateTime<Utc>,
    ) -> Result<ClaimCheck, StoreError> {
        // Rolled back on drop if a step fails or the case is not held.
        let mut tx = self.db.begin().await?;
        let Some(held) = hold(&mut tx, scope, id, now).await? else {
            drop(tx);
            return self.why_not(scope, id).await;
        };
        if !fits(&report.outcome, held.has_number) {
            drop(tx);
            return Ok(ClaimCheck::NeedsNumber);
        }
        let no_answers = u32::try_from(held.no_answer_attempts).map_err(|_| corrupt("case no-answer count"))?;
        let disposition = disposition(&report.outcome, no_answers, now);
        store_outcome(&mut tx, id, report, &disposition, now).await?;
        fill_attempt(&mut tx, scope.user_id, id, report, now).await?;
        tx.commit().await?;
        Ok(ClaimCheck::Done)
    }

    /// Opens an attempt for "Call now" on a held case; its id, or why not.
    /// It dials the callback number if the case has one, unless
    /// `own_number` asks for the caller's own.
    pub async fn open_call_attempt(
        &self,
        scope: &Scope,
        id: i64,
        gateway: &str,
        own_number: bool,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, ClaimCheck>, StoreError> {
        const SQL: &str = "INSERT INTO attempts (case_id, user_id, started_at, gateway, own_number)
                           VALUES ($1, $2, $3, $4, $5) RETURNING id";
        // Rolled back on drop if the case is not held.
        let mut tx = self.db.begin().await?;
        if hold(&mut tx, scope, id, now).await?.is_none() {
            drop(tx);
            return Ok(Err(self.why_not(scope, id).await?));
        }
        let attempt = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(SQL)
                .bind(id)
                .bind(scope.user_id)
                .bind(now)
                .bind(gateway)
                .bind(own_number)
                .fetch_one(&mut **conn)
                .await?
        });
        tx.commit().await?;
        Ok(Ok(attempt))
    }

    /// The caller's number for an open "Call now" attempt (the bridge TwiML
    /// dials it); `None` once the attempt has an outcome.
    pub async fn attempt_caller(&self, attempt: i64) -> Result<Option<String>, StoreError> {
        const SQL: &str = "SELECT CASE WHEN a.own_number THEN c.phone ELSE coalesce(c.callback_phone, c.phone) END
                           FROM attempts a JOIN cases c ON c.id = a.case_id WHERE a.id = $1 AND a.outcome IS NULL";
        let phone: Option<Option<String>> =
            on_db!(&self.db, pool => sqlx::query_scalar(SQL).bind(attempt).fetch_optional(pool).await?);
        Ok(phone.flatten())
    }

    /// The gateway's id for an attempt's bridged call.
    pub async fn set_attempt_call_id(&self, attempt: i64, call_id: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE attempts SET gateway_call_id = $1 WHERE id = $2";
        on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(call_id).bind(attempt).execute(pool).await.map(drop)?;
        });
        Ok(())
    }

    /// A bridged call's status callback; false when no attempt has that call.
    pub async fn update_attempt_call(&self, gateway: &str, call_id: &str, status: &str) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE attempts SET call_status = $1 WHERE gateway = $2 AND gateway_call_id = $3";
        let updated = on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(status).bind(gateway).bind(call_id).execute(pool).await?.rows_affected()
        });
        Ok(updated > 0)
    }

    /// The gateway whose call brought in the case's recording at `url` (the
    /// voice message, or the place said aloud: the provider of the call
    /// whose state holds it): only that gateway's hosts may serve it.
    /// `None` when no call of the case holds it.
    pub async fn recording_gateway(&self, case_id: i64, url: &str) -> Result<Option<String>, StoreError> {
        const CALLS: &str = "SELECT provider, state FROM calls WHERE case_id = $1 ORDER BY id DESC";
        let calls: Vec<(String, String)> =
            on_db!(&self.db, pool => sqlx::query_as(CALLS).bind(case_id).fetch_all(pool).await?);
        crate::cases::gateway_of_voice_message(url, &calls)
    }
}
