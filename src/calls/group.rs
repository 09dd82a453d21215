//! Group commit for SQLite: one writer task takes the webhook turns waiting
//! to be committed and commits them together, one transaction and one disk
//! flush for the lot, in a handful of statements (`batch.rs`); a group with
//! two turns of one call takes a savepoint per turn instead. One turn's
//! conflict never undoes another's. A turn's outcome is reported only
//! after the transaction holding it has committed: a reply is still never
//! sent before its event is on disk.
//!
//! When the batch itself fails (SQLite may roll the whole transaction back
//! on its own, as on `SQLITE_FULL`), its connection is closed, never pooled,
//! and each turn is tried again alone, so one turn's failure still undoes
//! no other's.

use sqlx::{Acquire, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};
use tracing::error;

use super::turn::{CommitOutcome, TurnCommit, apply_turn};
use crate::db::{StoreError, Tx};

type Job = (TurnCommit, oneshot::Sender<Result<CommitOutcome, StoreError>>);

/// Most turns committed together.
const MAX_BATCH: usize = 64;

#[derive(Debug, Clone)]
pub(crate) struct GroupWriter {
    jobs: mpsc::Sender<Job>,
}

impl GroupWriter {
    pub(super) fn spawn(pool: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    pub(super) async fn commit(&self, commit: TurnCommit) -> Result<CommitOutcome, StoreError> {
        let (done, outcome) = oneshot::channel();
        self.jobs.send((commit, done)).await.map_err(|_| StoreError::Corrupt("the writer has stopped".to_owned()))?;
        outcome.await.map_err(|_| StoreError::Corrupt("the writer has stopped".to_owned()))?
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::group_commit(batch.len());
        let (commits, replies): (Vec<TurnCommit>, Vec<_>) = batch.into_iter().unzip();
        let outcomes = match commit_batch(&pool, &commits).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                error!(error.message = %e, turns = replies.len(), "a group commit failed; committing its turns one by one");
                let mut outcomes = Vec::with_capacity(commits.len());
                for commit in &commits {
                    outcomes.push(commit_alone(&pool, commit).await);
                }
                outcomes
            }
        };
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

/// Commits one turn in a transaction of its own, on a connection that is
/// closed, never pooled, if it fails.
pub(super) async fn commit_alone(pool: &SqlitePool, commit: &TurnCommit) -> Result<CommitOutcome, StoreError> {
    let mut conn = pool.acquire().await?;
    let outcome = async {
        // Rolled back on drop if the turn does not commit.
        let mut tx = Tx::Sqlite(conn.begin().await?);
        let outcome = apply_turn(&mut tx, commit).await?;
        if matches!(outcome, CommitOutcome::Committed(_)) {
            tx.commit().await?;
        }
        Ok(outcome)
    }
    .await;
    if outcome.is_err() {
        conn.close_on_drop();
    }
    outcome
}

/// Commits the turns in one transaction; each outcome is final only
/// because the transaction committed.
async fn commit_batch(
    pool: &SqlitePool,
    commits: &[TurnCommit],
) -> Result<Vec<Result<CommitOutcome, StoreError>>, StoreError> {
    let mut conn = pool.acquire().await?;
    let outcomes = in_one_transaction(&mut conn, commits).await;
    if outcomes.is_err() {
        // Whatever state SQLite left it in, this connection is done.
        conn.close_on_drop();
    }
    outcomes
}

async fn in_one_transaction(
    conn: &mut SqliteConnection,
    commits: &[TurnCommit],
) -> Result<Vec<Result<CommitOutcome, StoreError>>, StoreError> {
    if super::batch::takes(commits) {
        // Rolled back on drop if any statement or the commit fails.
        let mut tx = Tx::Sqlite(conn.begin().await?);
        let outcomes = super::batch::write(&mut tx, commits).await?;
        tx.commit().await?;
        return Ok(outcomes);
    }
    // Two turns of one call (a retry racing its original): one savepoint
    // each, so the second sees the first. Rolled back on drop if the commit
    // itself fails.
    let mut tx = conn.begin().await?;
    let mut outcomes = Vec::with_capacity(commits.len());
    for commit in commits {
        // A savepoint: rolled back on drop unless this turn commits. If
        // SQLite rolled the whole transaction back, the savepoint is gone
        // and its rollback fails: the batch fails with it.
        let mut turn = Tx::Sqlite(tx.begin().await?);
        match apply_turn(&mut turn, commit).await {
            Ok(committed @ CommitOutcome::Committed(_)) => {
                turn.commit().await?;
                outcomes.push(Ok(committed));
            }
            Ok(other) => {
                turn.rollback().await?;
                outcomes.push(Ok(other));
            }
            Err(e) => {
                turn.rollback().await?;
                outcomes.push(Err(e));
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}
