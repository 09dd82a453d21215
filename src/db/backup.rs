//! Backups of the SQLite database: a consistent copy of a live file, and
//! putting one back.
//!
//! A backup is `VACUUM INTO` a new file: one read transaction, so it is the
//! database as it was at one moment, while calls go on being written (WAL
//! readers do not block writers). It is written beside its final name, made
//! durable, checked, then renamed: a backup that exists is whole.
//!
//! A restore refuses while a server has the database open (`serve` holds a
//! shared lock on `<file>.lock`; restore needs it exclusively), checks the
//! backup (SQLite's integrity check, a Sampark schema no newer than this
//! binary's), and keeps the database it replaces beside it as
//! `<file>.before-restore-<time>` (its WAL written into it first), so a
//! restore loses nothing, and a restore cut off midway leaves the old
//! database or the backup in place, never no database.
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`; see the README).

use std::{
    fs::File,
    path::{Path, PathBuf},
};

use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};

use super::{Db, StoreError, sqlite_file};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "`sampark backup` and `restore` work on SQLite; for PostgreSQL use pg_dump and pg_restore (README, \"Backups\")"
    )]
    NotSqlite,
    #[error("{} already exists: give a new file name (backups are never overwritten)", .0.display())]
    Exists(PathBuf),
    #[error("{} is not a backup Sampark can restore: {why}", file.display())]
    NotABackup { file: PathBuf, why: String },
    #[error("a Sampark server has {} open: stop it first (e.g. `systemctl stop sampark`)", .0.display())]
    InUse(PathBuf),
    #[error("{}: {source}", file.display())]
    Io { file: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// What a backup or restore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub calls: i64,
    pub cases: i64,
    pub bytes: u64,
}

/// Copies the live database `url` names to `to`, which must not exist.
pub async fn backup(url: &str, to: &Path) -> Result<Contents, BackupError> {
    let from = sqlite_file(url).ok_or(BackupError::NotSqlite)?;
    if !from.exists() {
        return Err(StoreError::NoDatabase(from).into());
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let partial = with_suffix(to, ".partial");
    // Made empty first, so the copy of callers' data is its owner's alone.
    create_private(&partial)?;
    let copied = async {
        let mut source = open(&from, false).await?;
        sqlx::query("VACUUM INTO $1").bind(partial.to_string_lossy().as_ref()).execute(&mut source).await?;
        source.close().await?;
        sync(&partial)?;
        check(&partial).await
    }
    .await;
    match copied {
        Ok(contents) => {
            std::fs::rename(&partial, to).map_err(|e| BackupError::Io { file: to.to_owned(), source: e })?;
            sync_dir(to);
            Ok(contents)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub contents: Contents,
    /// Where the database it replaced was kept, if there was one.
    pub kept: Option<PathBuf>,
}

/// Puts the backup `from` in place of the database `url` names.
pub async fn restore(from: &Path, url: &str) -> Result<Restored, BackupError> {
    let target = sqlite_file(url).ok_or(BackupError::NotSqlite)?;
    let contents = check(from).await?;
    let lock = lock_file(&target)?;
    if lock.try_lock().is_err() {
        return Err(BackupError::InUse(target));
    }
    let incoming = with_suffix(&target, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    create_private(&incoming)?;
    std::fs::copy(from, &incoming).map_err(|e| BackupError::Io { file: incoming.clone(), source: e })?;
    sync(&incoming)?;
    // At every moment the database's name holds a whole database, the old
    // one or the backup, so a restore cut off (kill -9, power) never leaves
    // a server nothing to open (it would make an empty one): the old
    // database is first made one file (its WAL written into it, as a server
    // killed with -9 leaves one), kept under a second name (a hard link),
    // then the backup is renamed over the name, which replaces it at once.
    let kept = if target.exists() {
        let mut old = open(&target, false).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut old).await?;
        old.close().await?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&target, suffix));
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = with_suffix(&target, &format!(".before-restore-{stamp}"));
        if std::fs::hard_link(&target, &kept).is_err() {
            std::fs::copy(&target, &kept).map_err(|e| BackupError::Io { file: kept.clone(), source: e })?;
            sync(&kept)?;
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&incoming, &target).map_err(|e| BackupError::Io { file: target.clone(), source: e })?;
    sync_dir(&target);
    // An older backup's schema is brought up to date now, not at the next start.
    Db::open_existing(url).await?.close().await;
    drop(lock);
    Ok(Restored { contents, kept })
}

/// Held by `serve` for as long as it has an SQLite database open, so that
/// `restore` cannot swap the file under it. `None` for PostgreSQL.
#[derive(Debug)]
pub struct ServingLock(#[allow(dead_code)] File);

impl ServingLock {
    pub fn take(url: &str) -> Result<Option<Self>, BackupError> {
        let Some(file) = sqlite_file(url) else { return Ok(None) };
        let lock = lock_file(&file)?;
        lock.lock_shared().map_err(|e| BackupError::Io { file, source: e })?;
        Ok(Some(Self(lock)))
    }
}

fn lock_file(database: &Path) -> Result<File, BackupError> {
    let path = with_suffix(database, ".lock");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        use std::os::unix::fs::DirBuilderExt;
        // The data directory, on a first start: its owner's alone.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| BackupError::Io { file: dir.to_owned(), source: e })?;
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| BackupError::Io { file: path, source: e })
}

/// A Sampark database, whole, with a schema this binary knows.
async fn check(path: &Path) -> Result<Contents, BackupError> {
    let not = |why: &str| BackupError::NotABackup { file: path.to_owned(), why: why.to_owned() };
    let bytes = std::fs::metadata(path).map_err(|e| BackupError::Io { file: path.to_owned(), source: e })?.len();
    let mut conn = open(path, true).await.map_err(|e| not(&e.to_string()))?;
    let verdict: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.map_err(|e| not(&e.to_string()))?;
    if verdict != "ok" {
        return Err(not(&format!("SQLite's integrity check says: {verdict}")));
    }
    let newest: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| not("it has no Sampark schema"))?;
    let known = super::sqlite::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    match newest {
        None => return Err(not("it has no Sampark schema")),
        Some(v) if v > known => return Err(not(&format!("its schema ({v}) is newer than this sampark's ({known})"))),
        Some(_) => {}
    }
    let (calls, cases): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM cases)")
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(Contents { calls, cases, bytes })
}

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .busy_timeout(std::time::Duration::from_secs(10))
        .connect()
        .await
}

fn create_private(path: &Path) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| BackupError::Io { file: path.to_owned(), source: e })
}

fn sync(path: &Path) -> Result<(), BackupError> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| BackupError::Io { file: path.to_owned(), source: e })
}

/// Makes a rename durable (best effort: not every filesystem allows it).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
