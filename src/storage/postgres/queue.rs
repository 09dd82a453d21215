//! The callback queue: counts, claims, outcomes, call attempts (PostgreSQL).
//!
//! Every query that touches a case carries the user's scope as its first
//! three parameters (`$1` role, `$2` states, `$3` languages, as arrays), so a
//! case outside the scope does not exist for the user. Claims lock with
//! `FOR UPDATE SKIP LOCKED`, so instances never wait on each other's picks.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Row, Transaction, postgres::PgArguments, postgres::PgRow, query::Query};

use crate::{
    auth::Role,
    queue::{self, CaseNotes, Outcome, Scope},
    storage::{AttemptView, CallSummary, CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount, StoreError},
};

/// The scope filter on `cases` (see the module docs for its parameters).
macro_rules! in_scope {
    () => {
        "($1 = 'admin'
          OR ($1 = 'coordinator' AND home_state_code = ANY($2))
          OR ($1 = 'volunteer'
              AND (home_state_code IS NULL OR home_state_code = ANY($2))
              AND (language IS NULL OR language = ANY($3))))"
    };
}

/// A waiting case: queued, due, and not held by a live lease (`$4` = now).
macro_rules! waiting {
    () => {
        "status = 'queued' AND closed_at IS NULL
         AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
         AND (claimed_by IS NULL OR lease_expires_at <= $4)"
    };
}

/// Binds the scope as `$1`..`$3`.
pub(super) fn scoped(sql: &'static str, scope: &Scope) -> Query<'static, Postgres, PgArguments> {
    sqlx::query(sql).bind(scope.role.as_str()).bind(states(scope)).bind(languages(scope))
}

fn states(scope: &Scope) -> Vec<i64> {
    scope.states.iter().map(|s| i64::from(*s)).collect()
}

fn languages(scope: &Scope) -> Vec<String> {
    scope.languages.iter().map(ToString::to_string).collect()
}

pub(super) async fn queue_counts(
    pool: &PgPool,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Vec<QueueCount>, StoreError> {
    const SQL: &str = concat!(
        "SELECT language, home_state_code, count(*) AS waiting FROM cases WHERE ",
        waiting!(),
        " AND ",
        in_scope!(),
        " GROUP BY language, home_state_code ORDER BY waiting DESC, language, home_state_code"
    );
    let rows = scoped(SQL, scope).bind(now).fetch_all(pool).await?;
    Ok(rows.iter().map(|r| QueueCount { language: r.get(0), home_state_code: r.get(1), waiting: r.get(2) }).collect())
}

pub(super) async fn claim_next(
    pool: &PgPool,
    scope: &Scope,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    // A second "take next" (a double tap) gets the case already held.
    const HELD: &str = concat!(
        "UPDATE cases SET lease_expires_at = $6
         WHERE claimed_by = $5 AND lease_expires_at > $4 AND status = 'queued' AND closed_at IS NULL AND ",
        in_scope!(),
        " RETURNING id"
    );
    let held = async || scoped(HELD, scope).bind(now).bind(scope.user_id).bind(lease_until).fetch_optional(pool).await;
    if let Some(id) = held().await? {
        return Ok(Some(id.get(0)));
    }
    drop_stale_claims(pool, scope, now).await?;
    // Pick candidates from the heads of the claim-order indexes without
    // locking, then lock the best one still waiting, skipping any another
    // instance holds; if others took them all meanwhile, pick again.
    for _ in 0..16 {
        let candidates: Vec<i64> = match scope.role {
            Role::Volunteer => {
                sqlx::query_scalar(PICK_VOLUNTEER)
                    .bind(states(scope))
                    .bind(languages(scope))
                    .bind(now)
                    .fetch_all(pool)
                    .await?
            }
            Role::Coordinator => {
                sqlx::query_scalar(PICK_COORDINATOR).bind(states(scope)).bind(now).fetch_all(pool).await?
            }
            Role::Admin => sqlx::query_scalar(PICK_ADMIN).bind(now).fetch_all(pool).await?,
        };
        if candidates.is_empty() {
            break;
        }
        let claimed = sqlx::query_scalar(
            r#"UPDATE cases SET claimed_by = $2, lease_expires_at = $3
               WHERE id = (SELECT id FROM cases
                           WHERE id = ANY($1) AND status = 'queued' AND closed_at IS NULL
                             AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
                             AND (claimed_by IS NULL OR lease_expires_at <= $4)
                           ORDER BY priority, first_call_at, id LIMIT 1
                           FOR UPDATE SKIP LOCKED)
               RETURNING id"#,
        )
        .bind(&candidates)
        .bind(scope.user_id)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(pool)
        .await;
        match claimed {
            Ok(Some(id)) => return Ok(Some(id)),
            Ok(None) => {}
            // A concurrent tap by the same user claimed first (the unique
            // index on `claimed_by`, migration 0004): that claim is this one too.
            Err(e) if is_unique_violation(&e) => return Ok(held().await?.map(|r| r.get(0))),
            Err(e) => return Err(e.into()),
        }
    }
    // Nothing left to take, or every candidate was locked: perhaps by a
    // concurrent tap of this user's, whose claim is then this one too.
    Ok(held().await?.map(|r| r.get(0)))
}

/// Clears the user's claims that no longer hold (run out, or on a case
/// that closed), so the one claim a user may have is free for the next.
async fn drop_stale_claims(pool: &PgPool, scope: &Scope, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
         WHERE claimed_by = $1 AND (lease_expires_at <= $2 OR status <> 'queued' OR closed_at IS NOT NULL)",
    )
    .bind(scope.user_id)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Due and not held (on table alias `c`; the last parameter is now).
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

/// The first few waiting cases of one index range, in claim order.
macro_rules! head {
    ($filter:literal, $now:literal) => {
        concat!(
            "(SELECT c.id, c.priority, c.first_call_at FROM cases c WHERE c.status = 'queued' AND ",
            $filter,
            " AND ",
            due!($now),
            " ORDER BY c.priority, c.first_call_at, c.id LIMIT 8)"
        )
    };
}

/// A volunteer's states (or unknown) × languages (or unknown).
const PICK_VOLUNTEER: &str = concat!(
    "SELECT p.id FROM (
       SELECT f.* FROM unnest($1::bigint[]) s(v) CROSS JOIN unnest($2::text[]) l(v),
         LATERAL ",
    head!("c.home_state_code = s.v AND c.language = l.v", "$3"),
    " f
       UNION ALL SELECT f.* FROM unnest($1::bigint[]) s(v), LATERAL ",
    head!("c.home_state_code = s.v AND c.language IS NULL", "$3"),
    " f
       UNION ALL SELECT f.* FROM unnest($2::text[]) l(v), LATERAL ",
    head!("c.home_state_code IS NULL AND c.language = l.v", "$3"),
    " f
       UNION ALL SELECT f.* FROM ",
    head!("c.home_state_code IS NULL AND c.language IS NULL", "$3"),
    " f
     ) p ORDER BY p.priority, p.first_call_at, p.id LIMIT 32"
);

/// A coordinator's states, any language.
const PICK_COORDINATOR: &str = concat!(
    "SELECT p.id FROM (SELECT f.* FROM unnest($1::bigint[]) s(v), LATERAL ",
    head!("c.home_state_code = s.v", "$2"),
    " f) p ORDER BY p.priority, p.first_call_at, p.id LIMIT 32"
);

/// Every case.
const PICK_ADMIN: &str = concat!(
    "SELECT c.id FROM cases c WHERE c.status = 'queued' AND ",
    due!("$1"),
    " ORDER BY c.priority, c.first_call_at, c.id LIMIT 32"
);

pub(super) async fn waiting_cases(
    pool: &PgPool,
    scope: &Scope,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<CaseView>, StoreError> {
    const SQL: &str = concat!(
        "SELECT c.*, NULL AS claimed_by_name FROM cases c WHERE ",
        waiting!(),
        " AND ",
        in_scope!(),
        " ORDER BY priority, first_call_at, id LIMIT $5"
    );
    let rows = scoped(SQL, scope).bind(now).bind(limit).fetch_all(pool).await?;
    rows.iter().map(case_from_row).collect()
}

pub(super) async fn held_case(pool: &PgPool, scope: &Scope, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
    const SQL: &str = concat!(
        "SELECT id FROM cases WHERE claimed_by = $5 AND lease_expires_at > $4 AND closed_at IS NULL AND ",
        in_scope!(),
        " ORDER BY lease_expires_at DESC LIMIT 1"
    );
    let row = scoped(SQL, scope).bind(now).bind(scope.user_id).fetch_optional(pool).await?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) async fn case_view(pool: &PgPool, scope: &Scope, id: i64) -> Result<Option<CaseView>, StoreError> {
    const SQL: &str = concat!(
        "SELECT c.*, u.username AS claimed_by_name FROM cases c LEFT JOIN users u ON u.id = c.claimed_by
         WHERE c.id = $4 AND ",
        in_scope!()
    );
    let row = scoped(SQL, scope).bind(id).fetch_optional(pool).await?;
    row.map(|r| case_from_row(&r)).transpose()
}

fn case_from_row(r: &PgRow) -> Result<CaseView, StoreError> {
    Ok(CaseView {
        id: r.try_get("id")?,
        phone: r.try_get("phone")?,
        language: r.try_get("language")?,
        consent: r.try_get("consent")?,
        home_state_code: r.try_get("home_state_code")?,
        home_district_code: r.try_get("home_district_code")?,
        need: r.try_get("need")?,
        recording_url: r.try_get("recording_url")?,
        recording_duration_secs: r.try_get("recording_duration_secs")?,
        status: r.try_get("status")?,
        calls: r.try_get("calls")?,
        first_call_at: r.try_get("first_call_at")?,
        last_call_at: r.try_get("last_call_at")?,
        claimed_by: r.try_get("claimed_by")?,
        claimed_by_name: r.try_get("claimed_by_name")?,
        lease_expires_at: r.try_get("lease_expires_at")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        no_answer_attempts: r.try_get("no_answer_attempts")?,
        referred_to: r.try_get("referred_to")?,
        notes: CaseNotes {
            worker_name: r.try_get("worker_name")?,
            village: r.try_get("village")?,
            ward: r.try_get("ward")?,
            post_office: r.try_get("post_office")?,
            pin_code: r.try_get("pin_code")?,
            current_location: r.try_get("current_location")?,
        },
    })
}

pub(super) async fn case_history(pool: &PgPool, id: i64) -> Result<CaseHistory, StoreError> {
    let calls = sqlx::query(
        "SELECT started_at, provider, end_reason, node FROM calls WHERE case_id = $1 ORDER BY started_at, id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| CallSummary { started_at: r.get(0), provider: r.get(1), end_reason: r.get(2), last_node: r.get(3) })
    .collect();
    let attempts = sqlx::query(
        r#"SELECT a.started_at, u.username, a.outcome, a.notes, a.referred_to, a.callback_at, a.gateway, a.call_status
           FROM attempts a JOIN users u ON u.id = a.user_id WHERE a.case_id = $1 ORDER BY a.started_at, a.id"#,
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| AttemptView {
        started_at: r.get(0),
        username: r.get(1),
        outcome: r.get(2),
        notes: r.get(3),
        referred_to: r.get(4),
        callback_at: r.get(5),
        gateway: r.get(6),
        call_status: r.get(7),
    })
    .collect();
    Ok(CaseHistory { calls, attempts })
}

/// Why a held-case operation did not apply: the case is out of scope (or
/// missing), or the user does not hold it.
async fn why_not(pool: &PgPool, scope: &Scope, id: i64) -> Result<ClaimCheck, StoreError> {
    Ok(if case_view(pool, scope, id).await?.is_some() { ClaimCheck::NotHeld } else { ClaimCheck::NotFound })
}

pub(super) async fn release_case(
    pool: &PgPool,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimCheck, StoreError> {
    const SQL: &str = concat!(
        "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
         WHERE id = $4 AND claimed_by = $5 AND lease_expires_at > $6 AND ",
        in_scope!()
    );
    let done = scoped(SQL, scope).bind(id).bind(scope.user_id).bind(now).execute(pool).await?;
    if done.rows_affected() == 1 { Ok(ClaimCheck::Done) } else { why_not(pool, scope, id).await }
}

/// Locks a held case for this transaction (the first statement writes, so
/// SQLite takes the write lock at once); its no-answer count, if held.
async fn hold(
    tx: &mut Transaction<'_, Postgres>,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    const SQL: &str = concat!(
        "UPDATE cases SET updated_at = $6, first_attempt_at = coalesce(first_attempt_at, $6)
         WHERE id = $4 AND claimed_by = $5 AND lease_expires_at > $6 AND closed_at IS NULL AND ",
        in_scope!(),
        " RETURNING no_answer_attempts"
    );
    let row = scoped(SQL, scope).bind(id).bind(scope.user_id).bind(now).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) async fn record_outcome(
    pool: &PgPool,
    scope: &Scope,
    id: i64,
    report: &OutcomeReport,
    now: DateTime<Utc>,
) -> Result<ClaimCheck, StoreError> {
    // Rolled back on drop if a step fails or the case is not held.
    let mut tx = pool.begin().await?;
    let Some(no_answers) = hold(&mut tx, scope, id, now).await? else {
        drop(tx);
        return why_not(pool, scope, id).await;
    };
    let disposition = queue::disposition(&report.outcome, u32::try_from(no_answers).unwrap_or(u32::MAX), now);
    let (referred_to, callback_at) = match &report.outcome {
        Outcome::FollowUp { referred_to } => (Some(referred_to.as_str()), None),
        Outcome::CallBack { at } => (None, Some(*at)),
        _ => (None, None),
    };
    let details = &report.details;
    sqlx::query(
        r#"UPDATE cases SET status = $1, closed_at = CASE WHEN $2 THEN $3 ELSE NULL END, next_attempt_at = $4,
                  no_answer_attempts = no_answer_attempts + $5, claimed_by = NULL, lease_expires_at = NULL,
                  referred_to = coalesce($6, referred_to),
                  worker_name = coalesce($7, worker_name), village = coalesce($8, village), ward = coalesce($9, ward),
                  post_office = coalesce($10, post_office), pin_code = coalesce($11, pin_code),
                  current_location = coalesce($12, current_location)
           WHERE id = $13"#,
    )
    .bind(disposition.status)
    .bind(disposition.closed)
    .bind(now)
    .bind(disposition.next_attempt_at)
    .bind(i64::from(report.outcome == Outcome::NoAnswer))
    .bind(referred_to)
    .bind(&details.worker_name)
    .bind(&details.village)
    .bind(&details.ward)
    .bind(&details.post_office)
    .bind(&details.pin_code)
    .bind(&details.current_location)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Fill the attempt "Call now" opened, or add one.
    let filled = sqlx::query(
        r#"UPDATE attempts SET outcome = $1, notes = $2, referred_to = $3, callback_at = $4, finished_at = $5
           WHERE id = (SELECT id FROM attempts WHERE case_id = $6 AND user_id = $7 AND outcome IS NULL ORDER BY id DESC LIMIT 1)"#,
    )
    .bind(report.outcome.kind())
    .bind(&report.notes)
    .bind(referred_to)
    .bind(callback_at)
    .bind(now)
    .bind(id)
    .bind(scope.user_id)
    .execute(&mut *tx)
    .await?;
    if filled.rows_affected() == 0 {
        sqlx::query(
            r#"INSERT INTO attempts (case_id, user_id, started_at, outcome, notes, referred_to, callback_at, finished_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        )
        .bind(id)
        .bind(scope.user_id)
        .bind(now)
        .bind(report.outcome.kind())
        .bind(&report.notes)
        .bind(referred_to)
        .bind(callback_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(ClaimCheck::Done)
}

pub(super) async fn open_call_attempt(
    pool: &PgPool,
    scope: &Scope,
    id: i64,
    gateway: &str,
    now: DateTime<Utc>,
) -> Result<Result<i64, ClaimCheck>, StoreError> {
    // Rolled back on drop if the case is not held.
    let mut tx = pool.begin().await?;
    if hold(&mut tx, scope, id, now).await?.is_none() {
        drop(tx);
        return Ok(Err(why_not(pool, scope, id).await?));
    }
    let attempt = sqlx::query_scalar(
        "INSERT INTO attempts (case_id, user_id, started_at, gateway) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(id)
    .bind(scope.user_id)
    .bind(now)
    .bind(gateway)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(attempt))
}

pub(super) async fn attempt_caller(pool: &PgPool, attempt: i64) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT c.phone FROM attempts a JOIN cases c ON c.id = a.case_id WHERE a.id = $1 AND a.outcome IS NULL",
    )
    .bind(attempt)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| r.get(0)))
}

pub(super) async fn set_attempt_call_id(pool: &PgPool, attempt: i64, call_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE attempts SET gateway_call_id = $1 WHERE id = $2")
        .bind(call_id)
        .bind(attempt)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn update_attempt_call(
    pool: &PgPool,
    gateway: &str,
    call_id: &str,
    status: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let _ = at;
    let done = sqlx::query("UPDATE attempts SET call_status = $1 WHERE gateway = $2 AND gateway_call_id = $3")
        .bind(status)
        .bind(gateway)
        .bind(call_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
