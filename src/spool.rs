//! The spool: when the database is down or slow, a webhook writes the call
//! to a local append-only file and the caller hears "we have your number, a
//! volunteer will call you back" before the hang-up. When the database is
//! back, the spool is replayed into it: each spooled call ends (and its
//! caller is queued) exactly once, however often the replay runs.
//!
//! Each line is flushed to disk (`fsync`) before the caller is answered.
//! A replay first takes the file aside (a rename), so webhooks spooling
//! meanwhile start a new one; lines not replayed (the database went down
//! again) are written back. Appends and the rename exclude each other (a
//! read-write lock: appends share it, the rename takes it alone), so no
//! append can land in a file after the replay has read it. The file is
//! readable by its owner only: it holds callers' numbers.

use std::{
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::{
    calls::{CallService, Render},
    domain::{CallId, PhoneNumber},
    flow::{CallEvent, EndReason},
    gateway::{Inbound, Provider, Reply, Step},
};

/// One spooled call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    pub provider: String,
    pub call_id: CallId,
    /// E.164; `None` when the caller id was withheld.
    pub phone: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    /// Appends hold it shared, taking the file aside holds it alone.
    file: Arc<RwLock<()>>,
    /// One replay at a time within this process.
    replaying: tokio::sync::Mutex<()>,
}

/// How long one spooled call may take to replay: a database that hangs
/// must not hold the replay (and every later one) forever.
const REPLAY_BUDGET: Duration = Duration::from_secs(10);

impl Spool {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), file: Arc::default(), replaying: tokio::sync::Mutex::new(()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a call and flushes it to disk.
    pub async fn append(&self, entry: SpoolEntry) -> std::io::Result<()> {
        let line = serde_json::to_string(&entry).map_err(std::io::Error::other)? + "\n";
        self.append_lines(line).await
    }

    async fn append_lines(&self, lines: String) -> std::io::Result<()> {
        let (path, lock) = (self.path.clone(), self.file.clone());
        tokio::task::spawn_blocking(move || {
            let _shared = lock.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Opened per write: a replay may have taken the last file aside.
            let mut file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
            // One write: appends from concurrent webhooks do not interleave.
            file.write_all(lines.as_bytes())?;
            file.sync_data()
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Takes the spooled lines aside for a replay: the file aside (a replay
    /// interrupted earlier may have left one, finished first) or, if there
    /// is none, the spool itself, renamed aside. `None`: nothing spooled.
    async fn take_aside(&self) -> std::io::Result<Option<PathBuf>> {
        let (path, lock) = (self.path.clone(), self.file.clone());
        let aside = self.path.with_extension("replaying");
        tokio::task::spawn_blocking(move || {
            if aside.try_exists()? {
                return Ok(Some(aside));
            }
            let _alone = lock.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            match std::fs::rename(&path, &aside) {
                Ok(()) => Ok(Some(aside)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Replays spooled calls into the database; returns how many were
    /// replayed. Calls that could not be replayed stay spooled.
    pub async fn replay(&self, calls: &CallService) -> std::io::Result<usize> {
        self.replay_with(|entry| async move { replay_one(calls, &entry).await }).await
    }

    /// Replays each spooled call with `replay_one` (true: done; false: keep
    /// it spooled).
    async fn replay_with<F: Future<Output = bool>>(
        &self,
        mut replay_one: impl FnMut(SpoolEntry) -> F,
    ) -> std::io::Result<usize> {
        let _one_at_a_time = self.replaying.lock().await;
        let Some(aside) = self.take_aside().await? else { return Ok(0) };
        let text = tokio::fs::read_to_string(&aside).await?;
        let mut replayed = 0;
        let mut left = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(entry) = serde_json::from_str::<SpoolEntry>(line) else {
                warn!("skipping a spool line that is not a spooled call");
                continue;
            };
            if replay_one(entry).await {
                replayed += 1;
            } else {
                left.push_str(line);
                left.push('\n');
            }
        }
        if !left.is_empty() {
            // Back in the spool before the file aside goes: a failure here
            // leaves the file aside, replayed (at most once more) next time.
            self.append_lines(left.clone()).await?;
        }
        tokio::fs::remove_file(&aside).await?;
        if replayed > 0 {
            info!(calls = replayed, left = left.lines().count(), "replayed spooled calls into the database");
        }
        Ok(replayed)
    }

    /// The spooled lines' calls, for tools and tests (the file and any file
    /// aside).
    pub fn entries(&self) -> std::io::Result<Vec<SpoolEntry>> {
        let mut entries = Vec::new();
        for path in [self.path.with_extension("replaying"), self.path.clone()] {
            match std::fs::read_to_string(&path) {
                Ok(text) => entries.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(entries)
    }
}

/// Ends a spooled call in the database (creating it if it never got
/// there), which queues its caller; a replayed line is a no-op.
async fn replay_one(calls: &CallService, entry: &SpoolEntry) -> bool {
    let Some(provider) = Provider::parse(&entry.provider) else { return true };
    let inbound = Inbound {
        provider,
        call_id: entry.call_id.clone(),
        caller: entry.phone.as_deref().and_then(PhoneNumber::parse),
        step: Step::Callback { key: "spooled".to_owned() },
        event: CallEvent::Ended { reason: EndReason::Abandoned },
        request_hash: String::new(),
    };
    let silent: &Render<'_> = &|_, _| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    match tokio::time::timeout(REPLAY_BUDGET, calls.handle(&inbound, silent)).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            warn!(error.message = %e, "could not replay a spooled call yet");
            false
        }
        Err(_) => {
            warn!("the database did not answer a spool replay in time; the call stays spooled");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, sync::Mutex};

    use super::*;

    fn entry(n: usize) -> SpoolEntry {
        let call_id = CallId::parse(&format!("CA{n:032}")).unwrap();
        SpoolEntry { provider: "twilio".to_owned(), call_id, phone: None, at: Utc::now() }
    }

    /// What must not be lost: every call written to the spool is replayed,
    /// however its append and the replay's rename interleave.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn appends_racing_replays_are_each_replayed_once() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Arc::new(Spool::new(dir.path().join("spool.jsonl")));
        let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let spool = spool.clone();
                tokio::spawn(async move {
                    for i in 0..400 {
                        spool.append(entry(w * 1000 + i)).await.unwrap();
                    }
                })
            })
            .collect();
        let replayer = {
            let (spool, seen) = (spool.clone(), seen.clone());
            tokio::spawn(async move {
                for _ in 0..5000 {
                    spool
                        .replay_with(|e| {
                            *seen.lock().unwrap().entry(e.call_id.to_string()).or_default() += 1;
                            async { true }
                        })
                        .await
                        .unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        for writer in writers {
            writer.await.unwrap();
        }
        replayer.await.unwrap();
        spool
            .replay_with(|e| {
                *seen.lock().unwrap().entry(e.call_id.to_string()).or_default() += 1;
                async { true }
            })
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 8 * 400, "every spooled call is replayed");
        assert!(seen.values().all(|n| *n == 1), "each once");
    }

    #[tokio::test]
    async fn the_spool_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("spool.jsonl"));
        spool.append(entry(1)).await.unwrap();
        let mode = std::fs::metadata(spool.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn calls_that_cannot_be_replayed_stay_spooled() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("spool.jsonl"));
        for n in 0..3 {
            spool.append(entry(n)).await.unwrap();
        }
        let replayed = spool.replay_with(|e| async move { e.call_id.as_str().ends_with('1') }).await.unwrap();
        assert_eq!(replayed, 1);
        let left: Vec<CallId> = spool.entries().unwrap().into_iter().map(|e| e.call_id).collect();
        assert_eq!(left, [entry(0).call_id, entry(2).call_id]);
    }

    /// A line as spooled before call ids had a type of their own: a spool
    /// left by the old version is replayed by the new one.
    #[test]
    fn a_line_spooled_before_the_call_id_type_reads_back_unchanged() {
        let line =
            r#"{"provider":"kookoo","call_id":"1234567890.1_2-3","phone":"+911000000001","at":"2026-11-28T09:30:00Z"}"#;
        let entry: SpoolEntry = serde_json::from_str(line).unwrap();
        assert_eq!(entry.call_id.as_str(), "1234567890.1_2-3");
        assert_eq!(serde_json::to_string(&entry).unwrap(), line);
        let forged = line.replace("1234567890.1_2-3", "12 34");
        assert!(serde_json::from_str::<SpoolEntry>(&forged).is_err(), "skipped with a warning, never replayed");
    }
}
