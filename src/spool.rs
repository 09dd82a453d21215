//! The spool: when the database is down or slow, a webhook writes the call
//! to a local append-only file and the caller hears "we have your number, a
//! volunteer will call you back" before the hang-up. When the database is
//! back, the spool is replayed into it: each spooled call ends (and its
//! caller is queued) exactly once, however often the replay runs.
//!
//! Each line is flushed to disk (`fsync`) before the caller is answered.
//! A replay first renames the file aside, so webhooks spooling meanwhile
//! start a new one; lines not replayed (the database went down again) are
//! written back.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::{
    calls::{CallService, Render},
    domain::PhoneNumber,
    flow::{CallEvent, EndReason},
    gateway::{Inbound, Provider, Reply, Step},
};

/// One spooled call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoolEntry {
    pub provider: String,
    pub call_id: String,
    /// E.164; `None` when the caller id was withheld.
    pub phone: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    /// One replay at a time within this process.
    replaying: tokio::sync::Mutex<()>,
}

impl Spool {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), replaying: tokio::sync::Mutex::new(()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a call and flushes it to disk.
    pub async fn append(&self, entry: SpoolEntry) -> std::io::Result<()> {
        let path = self.path.clone();
        let line = serde_json::to_string(&entry).map_err(std::io::Error::other)? + "\n";
        tokio::task::spawn_blocking(move || {
            // Opened per write: a replay may have renamed the last file.
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            file.write_all(line.as_bytes())?;
            file.sync_data()
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Replays spooled calls into the database; returns how many were
    /// replayed. Calls that could not be replayed stay spooled.
    pub async fn replay(&self, calls: &CallService) -> std::io::Result<usize> {
        let _one_at_a_time = self.replaying.lock().await;
        let aside = self.path.with_extension("replaying");
        // A replay interrupted earlier left its file aside: finish it first.
        if !tokio::fs::try_exists(&aside).await? {
            match tokio::fs::rename(&self.path, &aside).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        let text = tokio::fs::read_to_string(&aside).await?;
        let mut replayed = 0;
        let mut left = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(entry) = serde_json::from_str::<SpoolEntry>(line) else {
                warn!("skipping a spool line that is not a spooled call");
                continue;
            };
            if replay_one(calls, &entry).await {
                replayed += 1;
            } else {
                left.push(line.to_owned());
            }
        }
        for line in &left {
            let entry: SpoolEntry = serde_json::from_str(line).map_err(std::io::Error::other)?;
            self.append(entry).await?;
        }
        tokio::fs::remove_file(&aside).await?;
        if replayed > 0 {
            info!(calls = replayed, left = left.len(), "replayed spooled calls into the database");
        }
        Ok(replayed)
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
    match calls.handle(&inbound, silent).await {
        Ok(_) => true,
        Err(e) => {
            warn!(error.message = %e, "could not replay a spooled call yet");
            false
        }
    }
}
