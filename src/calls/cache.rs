//! Calls in progress, kept in memory between their webhooks, so a turn
//! needs no database read before its commit: the next webhook of a call
//! usually lands on the instance that answered the last one.
//!
//! The cache is only ever a guess. A commit names the call version it was
//! computed from, so a cached call that another instance has moved on (or
//! a retry answered elsewhere) is refused by the database
//! ([`super::CommitOutcome::Conflict`] or `Duplicate`); the entry is then
//! forgotten and the turn goes round again from the database. Several
//! instances on one PostgreSQL stay correct; they only read more.

use std::{sync::Mutex, time::Instant};

use hashlink::LruCache;

use super::StoredCall;
use crate::gateway::Provider;

/// Calls remembered at most: a few minutes of a busy helpline's calls.
const CAPACITY: usize = 4096;

pub(super) struct CallCache {
    /// Each call as its last commit left it, and when that was.
    calls: Mutex<LruCache<(Provider, String), (StoredCall, Instant)>>,
}

impl Default for CallCache {
    fn default() -> Self {
        Self { calls: Mutex::new(LruCache::new(CAPACITY)) }
    }
}

impl CallCache {
    pub(super) fn get(&self, provider: Provider, call_id: &str) -> Option<StoredCall> {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        calls.get(&(provider, call_id.to_owned())).map(|(call, _)| call.clone())
    }

    pub(super) fn put(&self, provider: Provider, call_id: &str, call: StoredCall) {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        calls.insert((provider, call_id.to_owned()), (call, Instant::now()));
    }

    /// Calls not ended whose last webhook came after `since`.
    pub(super) fn in_progress(&self, since: Instant) -> usize {
        let calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        calls.iter().filter(|(_, (call, at))| call.state.ended.is_none() && *at > since).count()
    }

    pub(super) fn forget(&self, provider: Provider, call_id: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        calls.remove(&(provider, call_id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::CallState;

    fn call(turn: u32) -> StoredCall {
        let state = CallState {
            node: "language".to_owned(),
            attempts: 0,
            data: Default::default(),
            ended: None,
            guess: Vec::new(),
            page: 0,
            offered: Vec::new(),
        };
        StoredCall { id: 1, flow_id: "helpline".to_owned(), flow_version: "v".to_owned(), state, turn, version: 1 }
    }

    #[test]
    fn a_call_is_remembered_per_gateway_until_forgotten() {
        let cache = CallCache::default();
        cache.put(Provider::Twilio, "CA1", call(3));
        assert_eq!(cache.get(Provider::Twilio, "CA1").map(|c| c.turn), Some(3));
        assert!(cache.get(Provider::Plivo, "CA1").is_none(), "another gateway's call of the same id");
        cache.forget(Provider::Twilio, "CA1");
        assert!(cache.get(Provider::Twilio, "CA1").is_none());
    }

    #[test]
    fn calls_in_progress_are_those_not_ended_and_heard_from_lately() {
        let cache = CallCache::default();
        let before = Instant::now();
        cache.put(Provider::Twilio, "CA1", call(1));
        let mut ended = call(4);
        ended.state.ended = Some(crate::flow::Ending { reason: crate::flow::EndReason::FlowEnded, queue: true });
        cache.put(Provider::Twilio, "CA2", ended);
        assert_eq!(cache.in_progress(before), 1);
        assert_eq!(cache.in_progress(Instant::now()), 0, "nothing since now");
    }
}
