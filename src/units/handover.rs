//! Handing a case to another unit, with a note: the state where the worker
//! is stranded arranges food now, the home state travel and entitlements.
//!
//! A hand-over is one transaction: the case must be open and in the
//! hander's scope; a row in `case_handovers` (from the unit that held the
//! case, else the hander's first unit), the case's `unit_id` set to the
//! receiving unit, the case back in the queue (due now, any claim on it
//! dropped: the receiving unit calls next), and the audit log's entry.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::clean_note;
use crate::{
    auth::{Role, User},
    db::{Db, StoreError, Tx},
    on_db, on_tx,
    queue::{Scope, store::scoped},
};

/// What a hand-over did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOver {
    /// Handed from the unit (if any) to the unit.
    Done { from: Option<i64>, to: i64 },
    /// No such case in the hander's scope.
    NotFound,
}

/// One hand-over, as the case page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Handover {
    pub case_id: i64,
    pub from_unit: Option<String>,
    pub to_unit: String,
    pub note: String,
    pub handed_by: String,
    pub handed_at: DateTime<Utc>,
}

/// A case handed to or from a unit, for its coordinators' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct HandedCase {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub handover: Handover,
    pub status: String,
    pub home_state_code: Option<i64>,
}

/// The open case in scope, locked for the transaction by a first write
/// (SQLite takes the write lock at once); the unit holding it, if found.
async fn lock_case(
    tx: &mut Tx<'_>,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Option<i64>>, StoreError> {
    Ok(on_tx!(tx, conn, d => {
        const SQL: &str = concat!(
            "UPDATE cases SET updated_at = $5 WHERE id = $6 AND closed_at IS NULL AND ",
            d::in_scope!(),
            " RETURNING unit_id"
        );
        scoped!(d, sqlx::query_scalar(SQL), scope).bind(now).bind(id).fetch_optional(&mut **conn).await?
    }))
}

/// Hands the case `id` to the unit named `to` with `note`, as `by` (a
/// coordinator or an admin) may. [`StoreError::Refused`] for another role,
/// a blank note, no such unit, the unit that holds it already, or a closed
/// case.
pub async fn hand_over(
    db: &Db,
    by: &User,
    id: i64,
    to: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<HandOver, StoreError> {
    if !matches!(by.role, Role::Coordinator | Role::Admin) {
        return Err(StoreError::Refused("only a coordinator or an admin hands a case to another unit".into()));
    }
    let note = clean_note(note).map_err(StoreError::Refused)?;
    let scope = Scope::of(by);
    const UNIT: &str = "SELECT id FROM units WHERE name = $1";
    let to_id: Option<i64> = on_db!(db, pool => sqlx::query_scalar(UNIT).bind(to).fetch_optional(pool).await?);
    let Some(to_id) = to_id else { return Err(StoreError::Refused(format!("there is no unit `{to}`"))) };
    // Rolled back on drop if a step fails or the case may not be handed.
    let mut tx = db.begin().await?;
    let Some(held) = lock_case(&mut tx, &scope, id, now).await? else {
        drop(tx);
        return closed_or_missing(db, &scope, id).await;
    };
    if held == Some(to_id) {
        return Err(StoreError::Refused(format!("the case is with `{to}` already")));
    }
    let from = held.or_else(|| by.units.first().copied());
    record(&mut tx, by, id, from, to_id, &note, now).await?;
    tx.commit().await?;
    Ok(HandOver::Done { from, to: to_id })
}

/// Why a case could not be locked: closed (refused), or not in scope.
async fn closed_or_missing(db: &Db, scope: &Scope, id: i64) -> Result<HandOver, StoreError> {
    let found: Option<i64> = on_db!(db, pool, d => {
        const SQL: &str = concat!("SELECT id FROM cases WHERE id = $5 AND ", d::in_scope!());
        scoped!(d, sqlx::query_scalar(SQL), scope).bind(id).fetch_optional(pool).await?
    });
    match found {
        Some(_) => Err(StoreError::Refused("the case is closed: there is nothing to hand over".into())),
        None => Ok(HandOver::NotFound),
    }
}

/// The hand-over's row, the case's move and the audit entry.
async fn record(
    tx: &mut Tx<'_>,
    by: &User,
    id: i64,
    from: Option<i64>,
    to: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const ROW: &str = "INSERT INTO case_handovers (case_id, from_unit_id, to_unit_id, note, handed_by, handed_at)
                       VALUES ($1, $2, $3, $4, $5, $6)";
    const MOVE: &str = "UPDATE cases SET unit_id = $1, status = 'queued', next_attempt_at = NULL,
                               claimed_by = NULL, lease_expires_at = NULL WHERE id = $2";
    const AUDIT: &str = "INSERT INTO audit_log (at, user_id, action, case_id, details)
                         VALUES ($1, $2, 'hand_over', $3,
                                 coalesce((SELECT name FROM units WHERE id = $4), '-') || ' → ' ||
                                 (SELECT name FROM units WHERE id = $5))";
    on_tx!(tx, conn => {
        sqlx::query(ROW).bind(id).bind(from).bind(to).bind(note).bind(&by.username).bind(now)
            .execute(&mut **conn).await.map(drop)?;
        sqlx::query(MOVE).bind(to).bind(id).execute(&mut **conn).await.map(drop)?;
        sqlx::query(AUDIT).bind(now).bind(by.id).bind(id).bind(from).bind(to).execute(&mut **conn).await.map(drop)?
    });
    Ok(())
}

/// The columns of [`Handover`], for `case_handovers h`.
macro_rules! handover_columns {
    () => {
        "h.case_id, f.title AS from_unit, t.title AS to_unit, h.note, h.handed_by, h.handed_at,
         c.status, c.home_state_code FROM case_handovers h LEFT JOIN units f ON f.id = h.from_unit_id JOIN units t ON t.id = h.to_unit_id"
    };
}

/// A case's hand-overs, oldest first (ask only after the case page found
/// the case in the user's scope).
pub async fn history(db: &Db, case_id: i64) -> Result<Vec<Handover>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        handover_columns!(),
        " JOIN cases c ON c.id = h.case_id WHERE h.case_id = $1 ORDER BY h.handed_at, h.id"
    );
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(case_id).fetch_all(pool).await?))
}

/// The latest `limit` hand-overs to (`to` true) or from the units the
/// user `user_id` is a member of (every unit's, for `all`), newest first,
/// with the case's status and home state.
pub async fn handed(db: &Db, user_id: i64, all: bool, to: bool, limit: i64) -> Result<Vec<HandedCase>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        handover_columns!(),
        " JOIN cases c ON c.id = h.case_id
         WHERE $2 OR (CASE WHEN $3 THEN h.to_unit_id ELSE h.from_unit_id END)
                     IN (SELECT unit_id FROM unit_members WHERE user_id = $1)
         ORDER BY h.handed_at DESC, h.id DESC LIMIT $4"
    );
    Ok(on_db!(db, pool => sqlx::query_as(SQL).bind(user_id).bind(all).bind(to).bind(limit).fetch_all(pool).await?))
}
