//! The claim, the one query the backends write differently: both take the
//! best of the first waiting cases of each (state, language) the user
//! serves (and of each unit they are a member of, by `cases_by_unit`),
//! each found at the head of a claim-order index (`cases_claim_*`),
//! so a claim costs the same with 100 or 100,000 cases waiting.
//!
//! - SQLite has one writer, so one `UPDATE … RETURNING` picks and claims
//!   atomically.
//! - PostgreSQL picks candidates without locking, then locks the best one
//!   still waiting with `FOR UPDATE SKIP LOCKED`, so instances never wait
//!   on each other's picks; if others took them all meanwhile, it picks
//!   again.
//!
//! Either may fail on the unique index on `claimed_by` (a concurrent tap
//! by the same user claimed first); the caller handles that.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};

use crate::{
    auth::Role,
    db::{postgres, sqlite},
    queue::Scope,
};

/// Claims the case the pick (a query yielding `id`) names, if still waiting.
macro_rules! claim_picked {
    ($pick:expr) => {
        concat!(
            "UPDATE cases SET claimed_by = $6, lease_expires_at = $7 WHERE id = (",
            $pick,
            ") AND status = 'queued' AND closed_at IS NULL RETURNING id"
        )
    };
}

/// The first waiting case of each (state or unknown) × (language or
/// unknown) a volunteer serves, as `firsts(id)`, from `s(v)` and `l(v)`.
macro_rules! volunteer_firsts {
    () => {
        concat!(
            "WITH s(v) AS (SELECT value FROM json_each($2) UNION ALL SELECT NULL),
                  l(v) AS (SELECT value FROM json_each($3) UNION ALL SELECT NULL),
                  firsts(id) AS (SELECT (SELECT c.id FROM cases c
                                  WHERE c.status = 'queued' AND c.home_state_code IS s.v AND c.language IS l.v AND ",
            due!("$5"),
            "                     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1) FROM s, l)"
        )
    };
}

/// The first waiting case of each unit in `$4` (by `cases_by_unit`: a
/// unit's cases are few beside the queue), `$filter` on it, as `unit_firsts(id)`.
macro_rules! unit_firsts {
    ($filter:literal) => {
        concat!(
            ", unit_firsts(id) AS (SELECT (SELECT c.id FROM cases c INDEXED BY cases_by_unit
                                  WHERE c.unit_id = u.value AND c.status = 'queued' AND ",
            $filter,
            " AND ",
            due!("$5"),
            "                     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1) FROM json_each($4) u)"
        )
    };
}

/// A volunteer serves cases whose state is one of theirs or unknown, and
/// whose language is one of theirs or unknown: every such pair is probed.
const SQLITE_VOLUNTEER: &str = claim_picked!(concat!(
    volunteer_firsts!(),
    " SELECT c.id FROM firsts f JOIN cases c ON c.id = f.id
     WHERE $1 = 'volunteer' AND $4 IS NOT NULL
     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1"
));

/// A volunteer who is a member of units also serves the cases handed to
/// them, in their languages (or unknown). A statement of its own, so the
/// plan of those in no unit stays [`SQLITE_VOLUNTEER`]'s; `CROSS JOIN`
/// keeps the few firsts as the outer loop.
const SQLITE_VOLUNTEER_UNITS: &str = claim_picked!(concat!(
    volunteer_firsts!(),
    unit_firsts!("(c.language IS NULL OR c.language IN (SELECT value FROM json_each($3)))"),
    " SELECT c.id FROM (SELECT id FROM firsts UNION ALL SELECT id FROM unit_firsts) f CROSS JOIN cases c ON c.id = f.id
     WHERE $1 = 'volunteer'
     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1"
));

/// The first waiting case of each of a coordinator's states, as `firsts(id)`.
macro_rules! coordinator_firsts {
    () => {
        concat!(
            "WITH firsts(id) AS (SELECT (SELECT c.id FROM cases c
                                  WHERE c.status = 'queued' AND c.home_state_code = s.value AND ",
            due!("$5"),
            "                     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1) FROM json_each($2) s)"
        )
    };
}

/// A coordinator serves their states' cases, in any language.
const SQLITE_COORDINATOR: &str = claim_picked!(concat!(
    coordinator_firsts!(),
    " SELECT c.id FROM firsts f JOIN cases c ON c.id = f.id
     WHERE $1 = 'coordinator' AND $3 IS NOT NULL AND $4 IS NOT NULL
     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1"
));

/// A coordinator who is a member of units also serves the cases handed to
/// them, in any language.
const SQLITE_COORDINATOR_UNITS: &str = claim_picked!(concat!(
    coordinator_firsts!(),
    unit_firsts!("$3 IS NOT NULL"),
    " SELECT c.id FROM (SELECT id FROM firsts UNION ALL SELECT id FROM unit_firsts) f CROSS JOIN cases c ON c.id = f.id
     WHERE $1 = 'coordinator'
     ORDER BY c.priority, c.first_call_at, c.id LIMIT 1"
));

/// An admin serves every case.
const SQLITE_ADMIN: &str = claim_picked!(concat!(
    "SELECT c.id FROM cases c WHERE c.status = 'queued' AND $1 = 'admin' AND $2 IS NOT NULL AND $3 IS NOT NULL
       AND $4 IS NOT NULL AND ",
    due!("$5"),
    " ORDER BY c.priority, c.first_call_at, c.id LIMIT 1"
));

/// SQLite: picks and claims in one statement.
pub(super) async fn on_sqlite(
    pool: &SqlitePool,
    scope: &Scope,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    use sqlite as d;
    let in_units = !scope.units.is_empty();
    let sql = match scope.role {
        Role::Volunteer if in_units => SQLITE_VOLUNTEER_UNITS,
        Role::Volunteer => SQLITE_VOLUNTEER,
        Role::Coordinator if in_units => SQLITE_COORDINATOR_UNITS,
        Role::Coordinator => SQLITE_COORDINATOR,
        Role::Admin => SQLITE_ADMIN,
        Role::Central => return Ok(None),
    };
    scoped!(d, sqlx::query_scalar(sql), scope)
        .bind(now)
        .bind(scope.user_id)
        .bind(lease_until)
        .fetch_optional(pool)
        .await
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

/// A volunteer's states (or unknown) × languages (or unknown), and their
/// units' cases in those languages.
const PG_PICK_VOLUNTEER: &str = concat!(
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
       UNION ALL SELECT f.* FROM unnest($4::bigint[]) u(v), LATERAL ",
    head!("c.unit_id = u.v AND (c.language IS NULL OR c.language = ANY($2))", "$3"),
    " f
     ) p ORDER BY p.priority, p.first_call_at, p.id LIMIT 32"
);

/// A coordinator's states and units, any language.
const PG_PICK_COORDINATOR: &str = concat!(
    "SELECT p.id FROM (SELECT f.* FROM unnest($1::bigint[]) s(v), LATERAL ",
    head!("c.home_state_code = s.v", "$2"),
    " f UNION ALL SELECT f.* FROM unnest($3::bigint[]) u(v), LATERAL ",
    head!("c.unit_id = u.v", "$2"),
    " f) p ORDER BY p.priority, p.first_call_at, p.id LIMIT 32"
);

/// Every case.
const PG_PICK_ADMIN: &str = concat!(
    "SELECT c.id FROM cases c WHERE c.status = 'queued' AND ",
    due!("$1"),
    " ORDER BY c.priority, c.first_call_at, c.id LIMIT 32"
);

/// Locks and claims the best of the candidates still waiting.
const PG_CLAIM: &str = concat!(
    "UPDATE cases SET claimed_by = $2, lease_expires_at = $3
     WHERE id = (SELECT c.id FROM cases c WHERE c.id = ANY($1) AND c.status = 'queued' AND ",
    due!("$4"),
    " ORDER BY c.priority, c.first_call_at, c.id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id"
);

/// PostgreSQL: picks without locking, then claims the best candidate no
/// other instance has locked; `None` when none is left.
pub(super) async fn on_postgres(
    pool: &PgPool,
    scope: &Scope,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let states = || postgres::int_list(scope.states.iter().map(|s| i64::from(*s)));
    let languages = || postgres::text_list(scope.languages.iter().map(crate::domain::Language::as_str));
    let units = || postgres::int_list(scope.units.iter().copied());
    for _ in 0..16 {
        let pick = match scope.role {
            Role::Volunteer => {
                sqlx::query_scalar(PG_PICK_VOLUNTEER).bind(states()).bind(languages()).bind(now).bind(units())
            }
            Role::Coordinator => sqlx::query_scalar(PG_PICK_COORDINATOR).bind(states()).bind(now).bind(units()),
            Role::Admin => sqlx::query_scalar(PG_PICK_ADMIN).bind(now),
            Role::Central => return Ok(None),
        };
        let candidates: Vec<i64> = pick.fetch_all(pool).await?;
        if candidates.is_empty() {
            return Ok(None);
        }
        let claimed = sqlx::query_scalar(PG_CLAIM)
            .bind(&candidates)
            .bind(scope.user_id)
            .bind(lease_until)
            .bind(now)
            .fetch_optional(pool)
            .await?;
        if claimed.is_some() {
            return Ok(claimed);
        }
    }
    Ok(None)
}
