//! SQLite: one file, WAL journal, `synchronous = FULL` so a committed turn
//! survives a power cut, not only a crash. This is also the SQLite half of
//! the dialect: the SQL fragments and parameter shapes that differ from
//! PostgreSQL's (see [`super::postgres`]), used through `on_db!`'s `d`.

use std::{str::FromStr, time::Duration};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{DbOptions, StoreError};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A row lock for the rest of the transaction: SQLite has one writer, whose
/// transactions already exclude each other, so none is needed.
macro_rules! for_update {
    () => {
        ""
    };
}
pub(crate) use for_update;

/// The callback queue's scope filter on `cases` (the rule `queue::Scope`
/// states): `$1` the role, `$2` the states, `$3` the languages and `$4` the
/// units, lists bound with [`int_list`] and [`text_list`] (JSON arrays, read
/// by `json_each`).
macro_rules! in_scope {
    () => {
        "($1 = 'admin'
          OR ($1 = 'coordinator'
              AND (home_state_code IN (SELECT value FROM json_each($2))
                   OR unit_id IN (SELECT value FROM json_each($4))))
          OR ($1 = 'volunteer'
              AND (home_state_code IS NULL OR home_state_code IN (SELECT value FROM json_each($2))
                   OR unit_id IN (SELECT value FROM json_each($4)))
              AND (language IS NULL OR language IN (SELECT value FROM json_each($3)))))"
    };
}
pub(crate) use in_scope;

/// Numbers as a list parameter (see [`in_scope!`]): a JSON array.
pub(crate) fn int_list(values: impl IntoIterator<Item = i64>) -> String {
    serde_json::to_string(&values.into_iter().collect::<Vec<_>>()).expect("numbers serialise")
}

/// Texts as a list parameter (see [`in_scope!`]): a JSON array.
pub(crate) fn text_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    serde_json::to_string(&values.into_iter().collect::<Vec<_>>()).expect("strings serialise")
}

/// The file a `sqlite:` URL names (`None` for an in-memory database or a
/// URL that does not parse).
pub(super) fn file_of(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (!path.as_os_str().is_empty() && path != std::path::Path::new(":memory:")).then(|| path.to_owned())
}

/// Opens the database file a `sqlite:` URL names, creating it (readable by
/// its owner only) if asked.
pub(super) async fn connect(url: &str, options: DbOptions) -> Result<SqlitePool, StoreError> {
    let connect = SqliteConnectOptions::from_str(url)?
        .create_if_missing(options.create_if_missing)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if options.create_if_missing {
        create_private(connect.get_filename())?;
    }
    let page_limit = options.page_limit;
    let on_connect = page_limit.clone();
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .after_connect(move |conn, _meta| {
            let page_limit = on_connect.clone();
            Box::pin(async move {
                if let Some(limit) = page_limit {
                    limit.apply(conn).await?;
                }
                Ok(())
            })
        })
        // A connection must come back from a transaction in autocommit
        // mode; one that does not (a rollback that failed because SQLite had
        // already rolled back on its own, as on SQLITE_FULL) would turn later
        // transactions into savepoints that never commit. Closed, never
        // pooled.
        .after_release(|conn, _meta| Box::pin(async move { super::returned_clean(conn).await }))
        .before_acquire(move |conn, _meta| {
            let page_limit = page_limit.clone();
            Box::pin(async move {
                if let Some(limit) = page_limit {
                    limit.apply(conn).await?;
                }
                super::returned_clean(conn).await
            })
        })
        .connect_with(connect)
        .await?;
    Ok(pool)
}

/// Creates an empty database file readable and writable by its owner only,
/// if there is none; SQLite gives its WAL and shared-memory files the same
/// permissions. (Callers' numbers and voices are in it.)
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    use std::os::unix::fs::OpenOptionsExt;
    if path.as_os_str().is_empty() || path == std::path::Path::new(":memory:") {
        return Ok(());
    }
    // The data directory, on a first start: its owner's alone, as the file.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database(sqlx::Error::Io(e))),
    }
}

/// Fault injection for tests: caps the database file at its current size
/// (SQLite's `max_page_count`), as a full disk would, on every connection
/// as it is acquired; lifting it lets the file grow again.
#[derive(Debug, Clone, Default)]
pub struct PageLimit(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl PageLimit {
    /// The disk is full (`true`) or has room again (`false`).
    pub fn set_full(&self, full: bool) {
        self.0.store(full, std::sync::atomic::Ordering::SeqCst);
    }

    async fn apply(&self, conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
        // SQLite keeps the limit at least the file's current size.
        let pages: u32 = if self.0.load(std::sync::atomic::Ordering::SeqCst) { 1 } else { 0xFFFF_FFFE };
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).execute(conn).await?;
        Ok(())
    }
}

/// A lock on `name` until the transaction ends, so that writers of one
/// thing take turns: none is needed, SQLite's single writer already runs
/// write transactions one at a time.
pub(crate) async fn advisory_xact_lock(_conn: &mut sqlx::SqliteConnection, _name: &str) -> Result<(), sqlx::Error> {
    Ok(())
}

/// The India day (`YYYY-MM-DD`, IST = UTC+05:30, no daylight saving) of a
/// timestamp column: timestamps are stored as RFC 3339 text in UTC, so its
/// first 19 characters are the UTC time to the second (cut there: SQLite
/// rounds fractions to milliseconds, which would carry 23:59:59.9996 into
/// the next day), moved by 330 minutes.
macro_rules! india_day {
    ($column:literal) => {
        concat!("date(substr(", $column, ", 1, 19), '+330 minutes')")
    };
}
pub(crate) use india_day;

/// Statements over a group of rows, for group commit: `template` with
/// `{rows}` replaced by `(?, …, ?), (?, …), …` for `rows` rows of `columns`
/// values, the count rounded up (see [`padded`]). (Anonymous parameters:
/// SQLite finds a numbered one's name by walking a list, which for a group's
/// hundreds of parameters costs more than the statement.) The rows past
/// `rows` are padding, bound all NULL by [`pad_rows`] (each statement
/// matches them to nothing), so a statement has a handful of texts, each
/// prepared once and kept, whatever the group's size.
pub(crate) fn group_sql(template: &'static str, columns: usize, rows: usize) -> &'static str {
    use std::{collections::HashMap, sync::Mutex};
    static TEXTS: Mutex<Option<HashMap<(usize, usize), &'static str>>> = Mutex::new(None);
    let rows = padded(rows);
    // Keyed by the template's address: each template is a `const`.
    let key = (template.as_ptr() as usize, rows);
    let mut texts = TEXTS.lock().expect("group statements lock");
    let texts = texts.get_or_insert_with(HashMap::new);
    texts.entry(key).or_insert_with(|| {
        let mut values = String::with_capacity(rows * columns * 5);
        for row in 0..rows {
            values.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..columns {
                values.push_str(if column == 0 { "?" } else { ", ?" });
            }
            values.push(')');
        }
        // A few texts per template, for the life of the process.
        Box::leak(template.replace("{rows}", &values).into_boxed_str())
    })
}

/// A query a NULL can be bound to (see [`pad_rows`]).
pub(crate) trait BindNull: Sized {
    fn bind_null(self) -> Self;
}

impl<'q> BindNull for sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments> {
    fn bind_null(self) -> Self {
        self.bind(None::<i64>)
    }
}

impl<'q, O> BindNull for sqlx::query::QueryAs<'q, sqlx::Sqlite, O, SqliteArguments> {
    fn bind_null(self) -> Self {
        self.bind(None::<i64>)
    }
}

impl<'q, O> BindNull for sqlx::query::QueryScalar<'q, sqlx::Sqlite, O, SqliteArguments> {
    fn bind_null(self) -> Self {
        self.bind(None::<i64>)
    }
}

/// A group's row count rounded up to 1, 4, 16 or a multiple of 64: four
/// texts per statement (group commit takes at most 64 turns), each prepared
/// statement a program of its own in every pooled connection's cache.
fn padded(rows: usize) -> usize {
    match rows {
        0..=1 => 1,
        2..=4 => 4,
        5..=16 => 16,
        _ => rows.div_ceil(64) * 64,
    }
}

/// Binds the padding rows of a [`group_sql`] statement: NULL for each of
/// `columns` values of the rows past `rows`.
pub(crate) fn pad_rows<Q: BindNull>(mut query: Q, columns: usize, rows: usize) -> Q {
    for _ in 0..(padded(rows) - rows) * columns {
        query = query.bind_null();
    }
    query
}
