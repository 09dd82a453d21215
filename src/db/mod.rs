//! The database: SQLite (the embedded default: one file, WAL) or PostgreSQL
//! (several instances behind a load balancer), chosen by the URL's scheme.
//!
//! Every domain keeps its own store (`calls::CallStore`, `queue::QueueStore`,
//! …) holding a [`Db`], and writes each query once: [`on_db!`](crate::on_db) expands one
//! body for each backend, so the same SQL text (`$1`-style placeholders,
//! which sqlx's SQLite driver accepts too) and the same `FromRow` types serve
//! both. What truly differs between the dialects — a row lock, a list
//! parameter, the pool's set-up — lives in [`sqlite`] and [`postgres`], which
//! `on_db!` names `d` in each arm, so `concat!("…", d::for_update!())`
//! builds each backend's static SQL at compile time.

pub mod backup;
pub mod postgres;
pub mod sqlite;

pub use sqlite::PageLimit;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0} already exists")]
    Conflict(String),
    /// Names the URL's scheme only: the rest may hold a password.
    #[error("database URLs starting `{0}` are not supported (use sqlite://PATH or postgres://…)")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A change the rules do not allow, and why (said to whoever asked).
    #[error("{0}")]
    Refused(String),
    /// Only `serve` and `migrate` make a database.
    #[error(
        "there is no database at {}: `sampark serve` or `sampark migrate` makes one; \
         to use another, set SAMPARK_DATA_DIR (or SAMPARK_DATABASE_URL)",
        .0.display()
    )]
    NoDatabase(std::path::PathBuf),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    /// A stored value its Rust type refuses (a state code 0, a call id with
    /// a space: see `crate::domain`) is corrupt data, not a database failure.
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::ColumnDecode { index, source } => Self::Corrupt(format!("column {index}: {source}")),
            e => Self::Database(e),
        }
    }
}

impl StoreError {
    /// A unique index refused a write: someone did the same thing first.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database(e) if is_unique_violation(e))
    }
}

/// A unique index refused a write.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A value read from the database that does not fit its Rust type.
pub fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// A pool on one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction (or a savepoint within one) on one of the two backends;
/// rolled back on drop unless committed.
#[derive(Debug)]
pub enum Tx<'c> {
    Sqlite(Transaction<'c, Sqlite>),
    Postgres(Transaction<'c, Postgres>),
}

/// Runs `$body` with `$pool` bound to the backend's pool (`&SqlitePool` or
/// `&PgPool`) and `$d` naming its dialect module ([`sqlite`] or
/// [`postgres`]): one text, compiled once per backend.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident, $d:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                #[allow(unused_imports)]
                use $crate::db::sqlite as $d;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                #[allow(unused_imports)]
                use $crate::db::postgres as $d;
                $body
            }
        }
    };
    ($db:expr, $pool:ident => $body:expr) => {
        $crate::on_db!($db, $pool, _d => $body)
    };
}

/// As [`on_db!`](crate::on_db), for a [`Tx`]: `$conn` is `&mut Transaction<…>` (queries
/// run on `&mut **$conn`).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident, $d:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite($conn) => {
                #[allow(unused_imports)]
                use $crate::db::sqlite as $d;
                $body
            }
            $crate::db::Tx::Postgres($conn) => {
                #[allow(unused_imports)]
                use $crate::db::postgres as $d;
                $body
            }
        }
    };
    ($tx:expr, $conn:ident => $body:expr) => {
        $crate::on_tx!($tx, $conn, _d => $body)
    };
}

/// How the server opens its database.
#[derive(Debug, Clone, Default)]
pub struct DbOptions {
    /// SQLite: create the file if there is none (the server; not the tools
    /// that only read, which must not make an empty database by mistake).
    pub create_if_missing: bool,
    /// SQLite: a fault-injection handle that caps the file's size, as a full
    /// disk would. Only tests set it.
    pub page_limit: Option<PageLimit>,
}

impl Db {
    /// Opens the database a URL names (without migrating it).
    pub async fn connect(url: &str, options: DbOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(sqlite::connect(url, options).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres(postgres::connect(url).await?))
        } else {
            let scheme = url.split_once(':').map_or("", |(s, _)| s);
            Err(StoreError::UnsupportedUrl(scheme.to_owned()))
        }
    }

    /// Opens and migrates the database a URL names, creating an SQLite file
    /// (and its directory) if there is none: for `migrate`, and for scratch
    /// databases.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let db = Self::connect(url, DbOptions { create_if_missing: true, page_limit: None }).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens and migrates an existing database: for every tool but `serve`
    /// and `migrate`, so that a tool pointed at the wrong place says so
    /// instead of making an empty database there.
    pub async fn open_existing(url: &str) -> Result<Self, StoreError> {
        if let Some(file) = sqlite_file(url).filter(|f| !f.exists()) {
            return Err(StoreError::NoDatabase(file));
        }
        let db = Self::connect(url, DbOptions::default()).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Brings the schema up to date (migrations per backend).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(pool) => sqlite::MIGRATOR.run(pool).await?,
            Self::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Ok when the database answers and its migrations are current.
    pub async fn ready(&self) -> Result<(), StoreError> {
        const APPLIED: &str = "SELECT count(*) FROM _sqlx_migrations WHERE success";
        let (applied, known): (i64, usize) = match self {
            Self::Sqlite(pool) => (sqlx::query_scalar(APPLIED).fetch_one(pool).await?, sqlite::MIGRATOR.iter().count()),
            Self::Postgres(pool) => {
                (sqlx::query_scalar(APPLIED).fetch_one(pool).await?, postgres::MIGRATOR.iter().count())
            }
        };
        if usize::try_from(applied).unwrap_or(0) < known {
            return Err(corrupt("migrations are not current"));
        }
        Ok(())
    }

    /// A new transaction.
    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(match self {
            Self::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes the pool, waiting for connections to come back.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(tx) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await?,
            Self::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// True when a connection is outside any transaction, as every pooled
/// connection must be (both backends check it as connections are released
/// and acquired). One that is not — a rollback that failed because SQLite
/// had already rolled back by itself, as on `SQLITE_FULL` — would turn
/// later transactions into savepoints of a transaction that never commits,
/// holding the write lock: it is closed instead. A rollback queued on drop
/// may still be on its way to the connection: a ping waits for it before
/// looking again.
pub(crate) async fn returned_clean<C: sqlx::Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::error!("a database connection is still inside a failed transaction: closing it");
        return Ok(false);
    }
    Ok(true)
}

/// The file of an SQLite URL; `None` for PostgreSQL and in-memory SQLite.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    url.starts_with("sqlite:").then(|| sqlite::file_of(url)).flatten()
}
