//! The scope filter the reports' queries still use (`?1` role, `?2` states
//! and `?3` languages as JSON arrays); it goes when the reports move to a
//! store of their own, which shares `queue::store::in_scope!` instead.

use sqlx::{Sqlite, query::Query, sqlite::SqliteArguments};

use crate::queue::Scope;

/// The scope filter on `cases` (see the module docs for its parameters).
macro_rules! in_scope {
    () => {
        "(?1 = 'admin'
          OR (?1 = 'coordinator' AND home_state_code IN (SELECT value FROM json_each(?2)))
          OR (?1 = 'volunteer'
              AND (home_state_code IS NULL OR home_state_code IN (SELECT value FROM json_each(?2)))
              AND (language IS NULL OR language IN (SELECT value FROM json_each(?3)))))"
    };
}
pub(super) use in_scope;

/// Binds the scope as `?1`..`?3`.
pub(super) fn scoped(sql: &'static str, scope: &Scope) -> Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(sql).bind(scope.role.as_str()).bind(scope.states_json()).bind(scope.languages_json())
}
