//! The call driver: one webhook in, one reply out, with the event, the call's
//! new state and the reply committed together before the reply is sent.
//!
//! 1. A request whose dedupe key is already recorded is a gateway retry: it
//!    gets the stored reply, byte for byte, and nothing new is written.
//! 2. Otherwise the call is loaded (or started on the current flow), the pure
//!    engine takes the event on the flow version the call started with, the
//!    gateway renders the actions, and the store commits it all.
//! 3. If another request for the same call committed first (a concurrent
//!    retry, another server instance), the commit is refused and we go round
//!    again from 1.

mod batch;
#[cfg(test)]
mod batch_tests;
mod cache;
mod group;
mod registry;
pub mod store;
mod turn;

pub use registry::FlowRegistry;
pub use store::{CallStore, Counts, IdleCall, LastTurn, StoredCall};
pub use turn::{CallWrite, CommitOutcome, EventRecord, TurnCommit};

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::{
    db::StoreError,
    directory::{Directory, Numbering},
    domain::CallId,
    flow::{self, Action, CallEvent, EndReason, FlowError, Transition},
    gateway::{Inbound, Provider, Reply, Step},
};

/// Renders actions in a gateway's dialect; `turn` is the turn number the
/// reply's action URLs must carry.
pub type Render<'a> = dyn Fn(&[Action], u32) -> Reply + Send + Sync + 'a;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error("flow `{0}` is not known")]
    UnknownFlow(String),
    #[error("the call kept changing under us; gave up after {0} tries")]
    Contention(u32),
}

/// How a request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Processed now; the reply was committed with the event.
    Fresh(Reply),
    /// A retry or an out-of-turn request, answered from the event log.
    Replayed(Reply),
}

impl Handled {
    pub fn reply(self) -> Reply {
        match self {
            Self::Fresh(r) | Self::Replayed(r) => r,
        }
    }
}

const MAX_TRIES: u32 = 5;

/// The time, for the driver: the flow engine has no clock, and tests move
/// this one by hand (a caller takes seconds to answer; a retry does not).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Drives calls through their flows.
/// The longest a call in progress goes without a webhook: a voice message
/// being recorded, or a question's timeout and its re-ask. A call silent
/// for longer has most likely hung up without a status callback (the idle
/// sweeper queues it).
pub const IN_FLIGHT_WINDOW: Duration = Duration::from_secs(180);

pub struct CallService {
    calls: CallStore,
    cache: cache::CallCache,
    flows: FlowRegistry,
    directory: &'static Directory,
    /// A first guess at each new caller's home state, from their number.
    numbering: Arc<Numbering>,
    /// Where this helpline's callers came from lately: the lists' order.
    ranking: std::sync::RwLock<Arc<flow::Ranking>>,
    entry_flow: String,
    clock: Clock,
}

/// What one attempt decided, ready to commit.
struct Decision {
    call: CallWrite,
    /// The flow version the call runs on.
    flow: (String, String),
    dedupe_key: String,
    node_before: Option<String>,
    transition: Transition,
    next_turn: u32,
    /// The turn folds the call into its case: it ends the call, or it
    /// brings what an ended call had not captured (a late voice message).
    /// A callback that changes nothing (the final status after the flow's
    /// goodbye) does not fold again.
    fold: bool,
}

impl Decision {
    /// The call as it will be once this turn commits (its row id known only
    /// then), for the cache.
    fn remembered(&self) -> impl FnOnce(i64) -> StoredCall + use<> {
        let version = match &self.call {
            CallWrite::New { .. } => 1,
            CallWrite::Existing { expected_version, .. } => expected_version + 1,
        };
        let (flow_id, flow_version) = self.flow.clone();
        let (state, turn) = (self.transition.state.clone(), self.next_turn);
        move |id| StoredCall { id, flow_id, flow_version, state, turn, version }
    }
}

/// Whether a remembered call can answer this request without a read: a
/// turn it is waiting for, or a callback (a repeated one is refused as a
/// duplicate at commit and read back then). A question asked again
/// (`CurrentTurn`) needs the last reply, from the database.
fn answers_next(step: &Step, call: &StoredCall) -> bool {
    match step {
        Step::Turn(turn) => *turn == call.turn,
        Step::Callback { .. } => true,
        Step::CurrentTurn { .. } => false,
    }
}

impl CallService {
    /// `entry_flow` answers new calls; it must be one of the registry's flows.
    pub fn new(
        calls: CallStore,
        flows: FlowRegistry,
        directory: &'static Directory,
        numbering: Arc<Numbering>,
        entry_flow: &str,
        clock: Clock,
    ) -> Self {
        let cache = cache::CallCache::default();
        let ranking = std::sync::RwLock::default();
        Self { calls, cache, flows, directory, numbering, ranking, entry_flow: entry_flow.to_owned(), clock }
    }

    /// Puts the lists in a new order: new questions read it, a page being
    /// read keeps what it offered.
    pub fn set_ranking(&self, ranking: flow::Ranking) {
        *self.ranking.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(ranking);
    }

    fn ranking(&self) -> Arc<flow::Ranking> {
        self.ranking.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Calls, their events and flow versions.
    pub fn calls(&self) -> &CallStore {
        &self.calls
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Calls this instance answered that have not ended and had a webhook
    /// in the last [`IN_FLIGHT_WINDOW`]: what a graceful stop waits for.
    pub fn calls_in_flight(&self) -> usize {
        self.cache.in_progress(
            std::time::Instant::now().checked_sub(IN_FLIGHT_WINDOW).unwrap_or_else(std::time::Instant::now),
        )
    }

    /// The current version of every flow the server answers with.
    pub fn flows(&self) -> Vec<Arc<flow::Flow>> {
        self.flows.all_current()
    }

    /// Handles one webhook. See the module docs for the steps.
    pub async fn handle(&self, inbound: &Inbound, render: &Render<'_>) -> Result<Handled, CallError> {
        let (provider, call_id) = (inbound.provider, inbound.call_id.as_str());
        // First from memory (no read before the commit), then, if the
        // database refuses that guess, from the database.
        let mut cached = self.cache.get(provider, call_id).filter(|call| answers_next(&inbound.step, call));
        // A call's first webhook is most likely a new call: its insert is
        // tried without a read, and refused if the call is there after all
        // (a retry, or another instance), which the next try reads.
        let mut first_of_new_call = cached.is_none() && matches!(inbound.step, Step::Turn(0));
        for _ in 0..MAX_TRIES {
            let decision = match cached.take() {
                Some(call) => self.decide_existing(inbound, &call).await?,
                None if std::mem::take(&mut first_of_new_call) => Ok(self.decide_new(inbound)?),
                None => self.decide_from_store(inbound).await?,
            };
            let decision = match decision {
                Ok(decision) => decision,
                Err(replayed) => return Ok(replayed),
            };
            let reply = render(&decision.transition.actions, decision.next_turn);
            let remembered = decision.remembered();
            match self.commit(inbound, decision, &reply).await? {
                CommitOutcome::Committed(id) => {
                    // The gateway's hang-up ends what a call can expect, bar
                    // a late voice message (read back then): not kept.
                    let call = remembered(id);
                    if call.state.ended.is_some() && matches!(inbound.event, CallEvent::Ended { .. }) {
                        self.cache.forget(provider, call_id);
                    } else {
                        self.cache.put(provider, call_id, call);
                    }
                    return Ok(Handled::Fresh(reply));
                }
                CommitOutcome::Conflict | CommitOutcome::Duplicate => self.cache.forget(provider, call_id),
            }
        }
        Err(CallError::Contention(MAX_TRIES))
    }

    /// One read: the call, and the reply already sent if this request is a
    /// retry.
    async fn decide_from_store(&self, inbound: &Inbound) -> Result<Result<Decision, Handled>, CallError> {
        let provider = inbound.provider.as_str();
        let (call, stored) = match known_dedupe_key(&inbound.step) {
            Some(key) => self.calls.load_turn(provider, &inbound.call_id, &key).await?,
            None => (self.calls.load_call(provider, &inbound.call_id).await?, None),
        };
        if let Some(reply) = stored {
            info!(call.event = inbound.event.kind(), "replaying the stored reply to a retried request");
            return Ok(Err(Handled::Replayed(reply)));
        }
        match call {
            None => Ok(Ok(self.decide_new(inbound)?)),
            Some(call) => self.decide_existing(inbound, &call).await,
        }
    }

    /// The reply to the call's current question, without taking any event:
    /// for gateways that fetch the question separately from the answer
    /// (Exotel's Gather and Greeting applets). `None` for an unknown call.
    pub async fn current_reply(&self, provider: Provider, call_id: &CallId) -> Result<Option<Reply>, CallError> {
        let Some(call) = self.calls.load_call(provider.as_str(), call_id).await? else { return Ok(None) };
        Ok(self.calls.last_turn(call.id).await?.map(|t| t.reply))
    }

    /// A call we have not seen: it starts on the current entry flow. A status
    /// or recording callback for an unknown call still records the caller.
    fn decide_new(&self, inbound: &Inbound) -> Result<Decision, CallError> {
        let flow =
            self.flows.current(&self.entry_flow).ok_or_else(|| CallError::UnknownFlow(self.entry_flow.clone()))?;
        let guess = inbound.caller.as_ref().map(|phone| self.numbering.guess(phone)).unwrap_or_default();
        let ranking = self.ranking();
        let lookups = flow::Lookups { directory: self.directory, ranking: &ranking };
        let started = flow::start(&flow, lookups, guess)?;
        let transition = match &inbound.event {
            CallEvent::Started => started,
            CallEvent::Ended { .. } | CallEvent::RecordingReady { .. } => {
                flow::step(&flow, lookups, &started.state, &inbound.event)?
            }
            other => {
                warn!(call.event = other.kind(), "input for a call we have no record of; starting its flow");
                started
            }
        };
        let call = CallWrite::New {
            provider: inbound.provider.as_str().to_owned(),
            provider_call_id: inbound.call_id.clone(),
            phone: inbound.caller.as_ref().map(|p| p.as_e164().to_owned()),
            flow_id: flow.id.clone(),
            flow_version: flow.version.clone(),
        };
        let flow = (flow.id.clone(), flow.version.clone());
        let (dedupe_key, next_turn) = match &inbound.step {
            Step::Turn(turn) => (format!("turn:{turn}"), turn + 1),
            Step::CurrentTurn { .. } => ("turn:0".to_owned(), 1),
            Step::Callback { key } => (key.clone(), 0),
        };
        let fold = transition.state.ended.is_some_and(|e| e.queue);
        Ok(Decision { call, flow, dedupe_key, node_before: None, transition, next_turn, fold })
    }

    /// A call in progress (or ended): one step on the version it started on.
    /// `Err(Handled)` when the request is a retry or out of turn and was
    /// answered from the log instead.
    async fn decide_existing(
        &self,
        inbound: &Inbound,
        call: &StoredCall,
    ) -> Result<Result<Decision, Handled>, CallError> {
        let (dedupe_key, next_turn) = match &inbound.step {
            Step::Turn(turn) if *turn != call.turn => {
                warn!(request.turn = turn, call.turn = call.turn, "request out of turn; repeating the last question");
                if let Some(last) = self.calls.last_turn(call.id).await? {
                    return Ok(Err(Handled::Replayed(last.reply)));
                }
                (format!("turn:{turn}"), turn + 1)
            }
            Step::Turn(turn) => (format!("turn:{turn}"), turn + 1),
            Step::CurrentTurn { retry_window } => {
                if let Some(last) = self.calls.last_turn(call.id).await? {
                    let age = ((self.clock)() - last.at).to_std().unwrap_or_default();
                    if last.request_hash == inbound.request_hash && age <= *retry_window {
                        info!(call.event = inbound.event.kind(), "an identical request just now: replaying the reply");
                        return Ok(Err(Handled::Replayed(last.reply)));
                    }
                }
                (format!("turn:{}", call.turn), call.turn + 1)
            }
            Step::Callback { key } => (key.clone(), call.turn),
        };
        let flow = self.flows.version(&call.flow_id, &call.flow_version).await?;
        let ranking = self.ranking();
        let lookups = flow::Lookups { directory: self.directory, ranking: &ranking };
        let transition = match flow::step(&flow, lookups, &call.state, &inbound.event) {
            Ok(t) => t,
            Err(FlowError::UnexpectedEvent { node, event }) => {
                warn!(flow.node = %node, call.event = event, "event cannot happen here; asking again");
                flow::reprompt(&flow, lookups, &call.state)?
            }
            Err(e) => return Err(e.into()),
        };
        let write = CallWrite::Existing { id: call.id, expected_version: call.version };
        let flow = (call.flow_id.clone(), call.flow_version.clone());
        let node_before = Some(call.state.node.clone());
        let fold = transition.state.ended.is_some_and(|e| e.queue)
            && (call.state.ended.is_none() || call.state.data != transition.state.data);
        Ok(Ok(Decision { call: write, flow, dedupe_key, node_before, transition, next_turn, fold }))
    }

    async fn commit(&self, inbound: &Inbound, decision: Decision, reply: &Reply) -> Result<CommitOutcome, CallError> {
        let input = serde_json::to_string(&inbound.event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let state = decision.transition.state;
        let fold_into_case = decision.fold;
        let commit = TurnCommit {
            call: decision.call,
            event: EventRecord {
                dedupe_key: decision.dedupe_key,
                kind: inbound.event.kind().to_owned(),
                input,
                request_hash: inbound.request_hash.clone(),
                node_before: decision.node_before,
            },
            state,
            next_turn: decision.next_turn,
            reply: reply.clone(),
            at: (self.clock)(),
            fold_into_case,
        };
        Ok(self.calls.commit_turn(commit).await?)
    }

    /// Ends calls no webhook has touched for `idle`: their callers hung up
    /// and the gateway's final status callback never came. Each is queued
    /// with what it captured. Returns how many were ended.
    pub async fn end_idle_calls(&self, idle: Duration) -> Result<usize, CallError> {
        let before = (self.clock)() - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
        let idle_calls = self.calls.idle_calls(before, 500).await?;
        let silent: &Render<'_> = &|_, _| Reply { content_type: "text/plain".to_owned(), body: String::new() };
        let mut ended = 0;
        for call in idle_calls {
            let Some(provider) = Provider::parse(&call.provider) else { continue };
            let inbound = Inbound {
                provider,
                call_id: call.provider_call_id,
                caller: None,
                step: Step::Callback { key: "status:abandoned".to_owned() },
                event: CallEvent::Ended { reason: EndReason::Abandoned },
                request_hash: String::new(),
            };
            self.handle(&inbound, silent).await?;
            ended += 1;
        }
        Ok(ended)
    }
}

/// The dedupe key a request names by itself, before its call is loaded.
fn known_dedupe_key(step: &Step) -> Option<String> {
    match step {
        Step::Turn(turn) => Some(format!("turn:{turn}")),
        Step::Callback { key } => Some(key.clone()),
        Step::CurrentTurn { .. } => None,
    }
}
