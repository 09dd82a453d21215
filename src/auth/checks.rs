//! A cap on sign-ins in progress, and so on password verifications
//! running at once.
//!
//! Each argon2id verification holds 19 MiB and a core for tens of
//! milliseconds. Unbounded, a flood of sign-ins fills the blocking pool
//! with hundreds of them: gigabytes the allocator never gives back, and no
//! CPU left for the webhooks callers are waiting on. Counting each attempt
//! before its check (the throttle) costs database writes too, which
//! webhooks would queue behind. So a sign-in first takes one of `cap`
//! turns, holds it through its throttle statements and its verification,
//! and gives it back when done; one that finds every turn taken waits a
//! moment and is then refused ([`Busy`]), to be retried by the person.
//!
//! The turn travels into the blocking task, so a sign-in whose request is
//! dropped (the client went away, the request timed out) still holds it
//! until its hash has actually finished.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics;

/// Every turn was taken for longer than the sign-in may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Hands out sign-in turns, at most `cap` at once.
#[derive(Clone, Debug)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    cap: usize,
    wait: Duration,
    counts: Arc<Counts>,
    memory: Memory,
}

/// Argon2's working memory, one per turn, allocated once and kept: at most
/// `cap` × 19 MiB, whichever blocking threads run the checks.
type Memory = Arc<Mutex<Vec<Vec<argon2::Block>>>>;

/// One sign-in's turn: lets it verify one password.
#[derive(Debug)]
pub struct Turn {
    permit: OwnedSemaphorePermit,
    counts: Arc<Counts>,
    memory: Memory,
}

#[derive(Debug, Default)]
struct Counts {
    running: AtomicUsize,
    peak: AtomicUsize,
    checked: AtomicUsize,
}

/// Marks one verification running for as long as it lives.
struct Running<'a>(&'a Counts);

impl<'a> Running<'a> {
    fn start(counts: &'a Counts) -> Self {
        counts.checked.fetch_add(1, Ordering::SeqCst);
        let now = counts.running.fetch_add(1, Ordering::SeqCst) + 1;
        counts.peak.fetch_max(now, Ordering::SeqCst);
        ::metrics::gauge!(metrics::PASSWORD_CHECKS_RUNNING).increment(1.0);
        Self(counts)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        ::metrics::gauge!(metrics::PASSWORD_CHECKS_RUNNING).decrement(1.0);
    }
}

/// The default cap: half the cores (at least one, at most four), so
/// webhooks always have a core; four at once already sign in a hundred
/// people a second.
pub fn default_cap() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get() / 2).clamp(1, 4)
}

impl PasswordChecks {
    /// At most `cap` (at least 1) at once; a check waits up to `wait` for a turn.
    pub fn new(cap: usize, wait: Duration) -> Self {
        let cap = cap.max(1);
        Self { permits: Arc::new(Semaphore::new(cap)), cap, wait, counts: Arc::default(), memory: Arc::default() }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The most verifications that have run at once since start.
    pub fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::SeqCst)
    }

    /// How many verifications have run since start.
    pub fn checked(&self) -> usize {
        self.counts.checked.load(Ordering::SeqCst)
    }

    /// A turn, once one is free; [`Busy`] if none frees up within the wait.
    pub async fn turn(&self) -> Result<Turn, Busy> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn { permit, counts: self.counts.clone(), memory: self.memory.clone() }),
            _ => {
                ::metrics::counter!(metrics::PASSWORD_CHECKS, "outcome" => "busy").increment(1);
                Err(Busy)
            }
        }
    }
}

impl Turn {
    /// Verifies `password` against `hash` on the blocking pool, giving the
    /// turn back when the hash is done.
    pub async fn verify(self, password: String, hash: String) -> bool {
        let span = tracing::Span::current();
        let Self { permit, counts, memory } = self;
        let checked = tokio::task::spawn_blocking(move || {
            // Dropped in reverse: no longer running, then the turn given back.
            let _permit = permit;
            let _running = Running::start(&counts);
            let pool = || memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut blocks = pool().pop().unwrap_or_default();
            let valid = span.in_scope(|| super::verify_password_in(&password, &hash, &mut blocks));
            pool().push(blocks);
            valid
        })
        .await;
        ::metrics::counter!(metrics::PASSWORD_CHECKS, "outcome" => "checked").increment(1);
        checked.unwrap_or(false)
    }

    /// Runs `check_and_hash` (a strength check and an argon2id hash, such
    /// as [`super::one_time_password`]) on the blocking pool, giving the
    /// turn back when it is done: setting a password costs what checking
    /// one does.
    pub async fn hash(
        self,
        check_and_hash: impl FnOnce() -> Result<String, super::PasswordError> + Send + 'static,
    ) -> Result<String, super::PasswordError> {
        let span = tracing::Span::current();
        let Self { permit, counts, memory: _ } = self;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _running = Running::start(&counts);
            span.in_scope(check_and_hash)
        })
        .await
        .unwrap_or_else(|e| Err(super::PasswordError::Hash(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_the_cap_run_at_once_and_the_rest_are_refused() {
        let hash = crate::auth::decoy_hash().to_owned();
        let checks = PasswordChecks::new(1, Duration::ZERO);
        let tries = (0..8).map(|_| async {
            let turn = checks.turn().await?;
            Ok(turn.verify("not-it-at-all".to_owned(), hash.clone()).await)
        });
        let results: Vec<Result<bool, Busy>> = futures::future::join_all(tries).await;
        assert_eq!(checks.peak(), 1);
        assert_eq!(checks.checked(), results.iter().filter(|r| r.is_ok()).count());
        assert!(results.contains(&Err(Busy)), "{results:?}");
        assert!(results.contains(&Ok(false)), "{results:?}");
    }
}
