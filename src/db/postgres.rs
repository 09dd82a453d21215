//! PostgreSQL, for deployments that outgrow one machine: several `sampark
//! serve` instances on one database. Everything that matters (call state,
//! leases, retries' replies) is in the database, so a call's webhooks may
//! land on any instance. This is also the PostgreSQL half of the dialect
//! (see [`super::sqlite`]).

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::StoreError;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A row lock for the rest of the transaction, so two instances working on
/// the same row take turns.
macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
}
pub(crate) use for_update;

/// The callback queue's scope filter on `cases` (the rule `queue::Scope`
/// states): `$1` the role, `$2` the states, `$3` the languages and `$4` the
/// units, lists bound with [`int_list`] and [`text_list`] (arrays).
macro_rules! in_scope {
    () => {
        "($1 = 'admin'
          OR ($1 = 'coordinator' AND (home_state_code = ANY($2) OR unit_id = ANY($4)))
          OR ($1 = 'volunteer'
              AND (home_state_code IS NULL OR home_state_code = ANY($2) OR unit_id = ANY($4))
              AND (language IS NULL OR language = ANY($3))))"
    };
}
pub(crate) use in_scope;

/// Numbers as a list parameter (see [`in_scope!`]): a `bigint[]`.
pub(crate) fn int_list(values: impl IntoIterator<Item = i64>) -> Vec<i64> {
    values.into_iter().collect()
}

/// Texts as a list parameter (see [`in_scope!`]): a `text[]`.
pub(crate) fn text_list<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// Connects to the database a `postgres:` URL names.
pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)?.application_name("sampark");
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(3))
        // Never hand out a connection still inside a transaction.
        .after_release(|conn, _meta| Box::pin(async move { super::returned_clean(conn).await }))
        .before_acquire(|conn, _meta| Box::pin(async move { super::returned_clean(conn).await }))
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// A lock on `name` until the transaction ends, so that writers of one
/// thing take turns across instances (an advisory lock on the name's hash).
pub(crate) async fn advisory_xact_lock(conn: &mut sqlx::PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(name).execute(conn).await.map(drop)
}

/// The India day (`YYYY-MM-DD`, IST = UTC+05:30, no daylight saving) of a
/// timestamp column: the same fixed offset as SQLite's (not the server's
/// time-zone database).
macro_rules! india_day {
    ($column:literal) => {
        concat!("to_char((", $column, " AT TIME ZONE 'UTC') + interval '330 minutes', 'YYYY-MM-DD')")
    };
}
pub(crate) use india_day;
