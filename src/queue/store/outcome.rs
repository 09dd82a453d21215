//! The writes on a held case: the lock that checks it is held, the
//! outcome and the attempt it fills.

use chrono::{DateTime, Utc};

use crate::{
    db::{StoreError, Tx},
    on_tx,
    queue::{Disposition, Outcome, OutcomeReport, Scope},
};

/// A held case, as its outcome needs it.
#[derive(sqlx::FromRow)]
pub(super) struct Held {
    pub no_answer_attempts: i64,
    /// The caller's number is known (not withheld).
    pub has_number: bool,
}

/// Locks a held case for this transaction (the first statement writes, so
/// SQLite takes the write lock at once); what its outcome needs, if held.
pub(super) async fn hold(
    tx: &mut Tx<'_>,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Held>, StoreError> {
    Ok(on_tx!(tx, conn, d => {
        const SQL: &str = concat!(
            "UPDATE cases SET updated_at = $7, first_attempt_at = coalesce(first_attempt_at, $7)
             WHERE id = $5 AND claimed_by = $6 AND lease_expires_at > $7 AND closed_at IS NULL AND ",
            d::in_scope!(),
            " RETURNING no_answer_attempts, (phone IS NOT NULL OR callback_phone IS NOT NULL) AS has_number"
        );
        scoped!(d, sqlx::query_as(SQL), scope)
            .bind(id)
            .bind(scope.user_id)
            .bind(now)
            .fetch_optional(&mut **conn)
            .await?
    }))
}

/// Writes where an outcome leaves a held case, and what the volunteer
/// noted down, and releases it.
pub(super) async fn store_outcome(
    tx: &mut Tx<'_>,
    id: i64,
    report: &OutcomeReport,
    disposition: &Disposition,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE cases SET status = $1, closed_at = CASE WHEN $2 THEN $3 ELSE NULL END,
                              next_attempt_at = $4, no_answer_attempts = no_answer_attempts + $5,
                              claimed_by = NULL, lease_expires_at = NULL, referred_to = coalesce($6, referred_to),
                              worker_name = coalesce($7, worker_name), village = coalesce($8, village),
                              ward = coalesce($9, ward), post_office = coalesce($10, post_office),
                              pin_code = coalesce($11, pin_code), current_location = coalesce($12, current_location)
                       WHERE id = $13";
    let details = &report.details;
    let no_answer = i64::from(report.outcome == Outcome::NoAnswer);
    on_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(disposition.status)
            .bind(disposition.closed)
            .bind(now)
            .bind(disposition.next_attempt_at)
            .bind(no_answer)
            .bind(report.outcome.referred_to())
            .bind(&details.worker_name)
            .bind(&details.village)
            .bind(&details.ward)
            .bind(&details.post_office)
            .bind(&details.pin_code)
            .bind(&details.current_location)
            .bind(id)
            .execute(&mut **conn)
            .await
            .map(drop)?
    });
    Ok(())
}

/// Fills the attempt "Call now" opened with the outcome, or adds one.
pub(super) async fn fill_attempt(
    tx: &mut Tx<'_>,
    user_id: i64,
    id: i64,
    report: &OutcomeReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const FILL: &str =
        "UPDATE attempts SET outcome = $1, notes = $2, referred_to = $3, callback_at = $4, finished_at = $5
                        WHERE id = (SELECT id FROM attempts WHERE case_id = $6 AND user_id = $7 AND outcome IS NULL
                                    ORDER BY id DESC LIMIT 1)";
    const ADD: &str = "INSERT INTO attempts (case_id, user_id, started_at, outcome, notes, referred_to, callback_at,
                                             finished_at)
                       VALUES ($6, $7, $5, $1, $2, $3, $4, $5)";
    if write_attempt(tx, FILL, user_id, id, report, now).await? == 0 {
        write_attempt(tx, ADD, user_id, id, report, now).await?;
    }
    Ok(())
}

/// Runs `sql` (`FILL` or `ADD` above) on an attempt's fields; rows written.
async fn write_attempt(
    tx: &mut Tx<'_>,
    sql: &'static str,
    user_id: i64,
    id: i64,
    report: &OutcomeReport,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let outcome = &report.outcome;
    Ok(on_tx!(tx, conn => {
        sqlx::query(sql)
            .bind(outcome.kind())
            .bind(&report.notes)
            .bind(outcome.referred_to())
            .bind(outcome.callback_at())
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(&mut **conn)
            .await?
            .rows_affected()
    }))
}
