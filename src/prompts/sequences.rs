//! Joined recordings (`/prompts/sequence.<version>.wav`), for gateways that
//! take one audio URL per question (Exotel's Gather).
//!
//! Joining costs CPU that anyone on the internet can ask for, so it is
//! bounded: each sequence version is joined at most once while it is cached
//! (concurrent first requests wait for that one join), one join runs at a
//! time, and the cache is bounded in bytes (least recently used goes
//! first). Which lists may be joined at all is checked before, against the
//! flows ([`crate::flow::Flow::asks`]).

use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use hashlink::LruCache;
use tokio::sync::{OnceCell, Semaphore};

/// Joined files kept, in bytes: a few hundred questions of a few seconds.
pub const CACHE_BYTES: usize = 32 * 1024 * 1024;
/// Sequence versions tracked at once (joined or being joined).
const MAX_ENTRIES: usize = 4096;

type Joined = Arc<[u8]>;
type Slot = Arc<OnceCell<Joined>>;

/// The cache of joined recordings, by sequence version.
pub struct Sequences {
    cache: Mutex<Cache>,
    joining: Semaphore,
    joins: AtomicU64,
    budget: usize,
}

struct Cache {
    entries: LruCache<String, Slot>,
    bytes: usize,
}

impl std::fmt::Debug for Sequences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequences").field("joins", &self.joins()).finish_non_exhaustive()
    }
}

impl Default for Sequences {
    fn default() -> Self {
        Self::new(CACHE_BYTES)
    }
}

impl Sequences {
    /// A cache that keeps at most `budget` bytes of joined files (and
    /// always the latest one).
    pub fn new(budget: usize) -> Self {
        Self {
            cache: Mutex::new(Cache { entries: LruCache::new_unbounded(), bytes: 0 }),
            joining: Semaphore::new(1),
            joins: AtomicU64::new(0),
            budget,
        }
    }

    /// How many joins ran since start: one per sequence version, unless
    /// the cache let it go.
    pub fn joins(&self) -> u64 {
        self.joins.load(Ordering::Relaxed)
    }

    /// The joined file of `version`, from the cache or made by `join`. A
    /// failed join is not cached: the next request tries again.
    pub async fn get_or_join<F, Fut, E>(&self, version: &str, join: F) -> Result<Joined, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<u8>, E>>,
    {
        let slot = self.slot(version);
        let mut made = false;
        let joined = slot
            .get_or_try_init(|| async {
                let _one_at_a_time = self.joining.acquire().await.expect("the semaphore is never closed");
                made = true;
                self.joins.fetch_add(1, Ordering::Relaxed);
                crate::metrics::sequence_join();
                join().await.map(Arc::from)
            })
            .await?
            .clone();
        if made {
            self.account(version, &slot, joined.len());
        }
        Ok(joined)
    }

    fn slot(&self, version: &str) -> Slot {
        let mut cache = self.cache.lock().expect("sequence cache lock");
        if let Some(slot) = cache.entries.get(version) {
            return slot.clone();
        }
        if cache.entries.len() >= MAX_ENTRIES
            && let Some((_, oldest)) = cache.entries.remove_lru()
        {
            cache.forget(&oldest);
        }
        let slot = Slot::default();
        cache.entries.insert(version.to_owned(), slot.clone());
        slot
    }

    /// Counts a new joined file and lets the least recently used go until
    /// the cache is within its budget.
    fn account(&self, version: &str, slot: &Slot, len: usize) {
        let mut cache = self.cache.lock().expect("sequence cache lock");
        // Evicted while it was being joined: it is not in the cache.
        if !cache.entries.peek(version).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            return;
        }
        cache.bytes += len;
        while cache.bytes > self.budget && cache.entries.len() > 1 {
            let Some((_, oldest)) = cache.entries.remove_lru() else { break };
            cache.forget(&oldest);
        }
    }
}

impl Cache {
    fn forget(&mut self, slot: &Slot) {
        if let Some(joined) = slot.get() {
            self.bytes = self.bytes.saturating_sub(joined.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn join_of(sequences: &Sequences, version: &str, len: usize) -> Joined {
        sequences.get_or_join(version, || async move { Ok::<_, ()>(vec![7; len]) }).await.unwrap()
    }

    #[tokio::test]
    async fn a_version_is_joined_once_however_many_ask_at_once() {
        let sequences = Sequences::default();
        let asks = (0..16).map(|_| join_of(&sequences, "v1", 1000));
        let all = futures::future::join_all(asks).await;
        assert!(all.iter().all(|j| **j == [7; 1000]));
        assert_eq!(sequences.joins(), 1);
        join_of(&sequences, "v1", 1000).await;
        join_of(&sequences, "v2", 1000).await;
        assert_eq!(sequences.joins(), 2, "v1 from the cache, v2 joined");
    }

    #[tokio::test]
    async fn a_failed_join_is_tried_again() {
        let sequences = Sequences::default();
        let failed = sequences.get_or_join("v1", || async { Err::<Vec<u8>, _>("disk") }).await;
        assert!(failed.is_err());
        join_of(&sequences, "v1", 10).await;
        assert_eq!(sequences.joins(), 2);
    }

    #[tokio::test]
    async fn the_least_recently_used_goes_when_the_budget_is_spent() {
        let sequences = Sequences::new(2500);
        join_of(&sequences, "a", 1000).await;
        join_of(&sequences, "b", 1000).await;
        join_of(&sequences, "a", 1000).await;
        join_of(&sequences, "c", 1000).await;
        assert_eq!(sequences.joins(), 3, "a was used last, so b went");
        join_of(&sequences, "a", 1000).await;
        assert_eq!(sequences.joins(), 3);
        join_of(&sequences, "b", 1000).await;
        assert_eq!(sequences.joins(), 4);
        assert!(sequences.cache.lock().unwrap().bytes <= 2500);
    }
}
