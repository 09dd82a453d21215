//! The scope filter the reports' queries still use (`$1` role, `$2` states,
//! `$3` languages, as arrays); it goes when the reports move to a store of
//! their own, which shares `queue::store::in_scope!` instead.

use sqlx::{Postgres, postgres::PgArguments, query::Query};

use crate::queue::Scope;

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
pub(super) use in_scope;

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
