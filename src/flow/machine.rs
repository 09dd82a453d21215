//! The flow engine: a pure function from (flow, state, event) to the next
//! state and the actions to send back. No I/O, no clock, no gateway dialect.

use super::{
    definition::{Flow, InputPolicy, ListOf, Node, PromptRef, Slot},
    lists::Ranking,
    model::{Action, CallEvent, CallState, Captured, EndReason, Ending},
    slots::{choose_state, clear_slot, collect, menu_slot, number_read_back, set_slot},
};
use crate::{directory::Directory, domain::StateCode, prompts::Prompt};

/// What the engine looks names up in: the directory, and where this
/// helpline's callers came from lately (the order lists are read in).
#[derive(Debug, Clone, Copy)]
pub struct Lookups<'a> {
    pub directory: &'a Directory,
    pub ranking: &'a Ranking,
}

/// The directory alone: lists in their shipped order.
impl<'a> From<&'a Directory> for Lookups<'a> {
    fn from(directory: &'a Directory) -> Self {
        Self { directory, ranking: Ranking::none() }
    }
}

/// The result of one step: where the call is now, and what the caller hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: CallState,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("the call is at node `{0}`, which this flow does not have")]
    UnknownNode(String),
    #[error("a `{event}` event cannot happen at node `{node}`")]
    UnexpectedEvent { node: String, event: &'static str },
    #[error("the flow goes round through play nodes at `{0}` without asking anything")]
    PlayLoop(String),
}

/// Why an answer did not count.
#[derive(Clone, Copy)]
pub(super) enum Failure {
    Invalid,
    Timeout,
}

/// Answers a new call: the start node's question. `guess` is the home
/// states the caller's number suggests, most likely first (none for a
/// withheld or unknown number), for a `guess_state` node to offer.
pub fn start<'a>(
    flow: &Flow,
    lookups: impl Into<Lookups<'a>>,
    mut guess: Vec<StateCode>,
) -> Result<Transition, FlowError> {
    guess.truncate(crate::directory::MAX_GUESSES);
    let mut state = CallState {
        node: flow.start.clone(),
        attempts: 0,
        data: Captured::default(),
        ended: None,
        guess,
        page: 0,
        offered: Vec::new(),
    };
    let actions = Walker::new(flow, lookups.into()).enter(&mut state, &flow.start, Vec::new())?;
    Ok(Transition { state, actions })
}

/// Takes one event at the call's current node.
pub fn step<'a>(
    flow: &Flow,
    lookups: impl Into<Lookups<'a>>,
    state: &CallState,
    event: &CallEvent,
) -> Result<Transition, FlowError> {
    let mut next = state.clone();
    if state.ended.is_some() {
        return Ok(absorb(next, event));
    }
    let walker = Walker::new(flow, lookups.into());
    let actions = match event {
        CallEvent::Ended { reason } => {
            next.ended = Some(Ending { reason: *reason, queue: true });
            Vec::new()
        }
        CallEvent::RecordingReady { message } => {
            next.data.recording_ready(message);
            Vec::new()
        }
        CallEvent::Started => {
            return Err(FlowError::UnexpectedEvent { node: state.node.clone(), event: event.kind() });
        }
        CallEvent::Digits { .. } | CallEvent::NoInput | CallEvent::Recorded { .. } => {
            walker.on_input(&mut next, event)?
        }
    };
    Ok(Transition { state: next, actions })
}

/// Asks the current node's question again, without counting an attempt:
/// what the caller hears when a request makes no sense at this point.
pub fn reprompt<'a>(flow: &Flow, lookups: impl Into<Lookups<'a>>, state: &CallState) -> Result<Transition, FlowError> {
    let mut next = state.clone();
    if next.ended.is_some() {
        return Ok(Transition { state: next, actions: vec![Action::Hangup] });
    }
    let actions = Walker::new(flow, lookups.into()).ask(&mut next, Vec::new())?;
    Ok(Transition { state: next, actions })
}

/// A call that has ended absorbs late events: a recording that arrives after
/// the hang-up is still kept; anything that expects an answer gets a hang-up.
fn absorb(mut state: CallState, event: &CallEvent) -> Transition {
    let actions = match event {
        CallEvent::RecordingReady { message } => {
            state.data.recording_ready(message);
            Vec::new()
        }
        CallEvent::Ended { .. } => Vec::new(),
        _ => vec![Action::Hangup],
    };
    Transition { state, actions }
}

pub(super) struct Walker<'a> {
    pub(super) flow: &'a Flow,
    pub(super) directory: &'a Directory,
    pub(super) ranking: &'a Ranking,
}

impl<'a> Walker<'a> {
    fn new(flow: &'a Flow, lookups: Lookups<'a>) -> Self {
        Self { flow, directory: lookups.directory, ranking: lookups.ranking }
    }

    pub(super) fn node(&self, id: &str) -> Result<&Node, FlowError> {
        self.flow.node(id).ok_or_else(|| FlowError::UnknownNode(id.to_owned()))
    }

    fn on_input(&self, state: &mut CallState, event: &CallEvent) -> Result<Vec<Action>, FlowError> {
        let directory = self.directory;
        let node = self.node(&state.node)?;
        let unexpected = || FlowError::UnexpectedEvent { node: state.node.clone(), event: event.kind() };
        // `*` goes back one question; what was answered stays until it is
        // answered again (a known answer is never dropped for nothing).
        if let (Some(back), CallEvent::Digits { digits }) = (node.input().and_then(|i| i.back.as_ref()), event)
            && digits.as_str().trim_end_matches('#') == "*"
        {
            return self.enter(state, &back.clone(), Vec::new());
        }
        match (node, event) {
            (Node::Menu { slot, choices, .. }, CallEvent::Digits { digits }) => {
                let choice = digits.single_key().and_then(|k| choices.get(&k));
                match choice {
                    Some(choice) => {
                        if let (Some(slot), Some(value)) = (slot, &choice.value) {
                            set_slot(&mut state.data, *slot, value);
                        }
                        self.enter(state, &choice.next.clone(), Vec::new())
                    }
                    None => self.fail(state, Failure::Invalid),
                }
            }
            (Node::GuessState { next, other, .. }, CallEvent::Digits { digits }) => {
                let key = digits.single_key().and_then(|k| k.to_digit(10)).and_then(|k| usize::try_from(k).ok());
                match key {
                    Some(k) if (1..=state.guess.len()).contains(&k) => {
                        choose_state(&mut state.data, state.guess[k - 1]);
                        self.enter(state, &next.clone(), Vec::new())
                    }
                    Some(k) if k == state.guess.len() + 1 => self.enter(state, &other.clone(), Vec::new()),
                    _ => self.fail(state, Failure::Invalid),
                }
            }
            (Node::List { .. }, CallEvent::Digits { digits }) => self.list_key(state, digits),
            (Node::Collect { slot, min_digits, max_digits, finish_key, next, .. }, CallEvent::Digits { digits }) => {
                let digits = finish_key.and_then(|k| digits.as_str().strip_suffix(k)).unwrap_or(digits.as_str());
                let long_enough = (usize::from(*min_digits)..=usize::from(*max_digits)).contains(&digits.len());
                if long_enough && collect(directory, &mut state.data, *slot, digits) {
                    self.enter(state, &next.clone(), Vec::new())
                } else {
                    self.fail(state, Failure::Invalid)
                }
            }
            (Node::Confirm { confirms, yes_key, no_key, yes, no, .. }, CallEvent::Digits { digits }) => {
                match digits.single_key() {
                    Some(k) if k == *yes_key => self.enter(state, &yes.clone(), Vec::new()),
                    Some(k) if k == *no_key => {
                        if let Some(slot) = confirms {
                            clear_slot(&mut state.data, *slot);
                        }
                        self.enter(state, &no.clone(), Vec::new())
                    }
                    _ => self.fail(state, Failure::Invalid),
                }
            }
            (
                Node::Menu { .. }
                | Node::GuessState { .. }
                | Node::List { .. }
                | Node::Collect { .. }
                | Node::Confirm { .. },
                CallEvent::NoInput,
            ) => self.fail(state, Failure::Timeout),
            (Node::Record { next, place, .. }, CallEvent::Recorded { message }) => {
                if *place {
                    // A callback about this recording that came first took it for the message.
                    if state.data.voice_message.as_ref().is_some_and(|m| m.url == message.url) {
                        state.data.voice_message = None;
                    }
                    state.data.place_message = Some(message.clone());
                } else {
                    state.data.voice_message = Some(message.clone());
                }
                self.enter(state, &next.clone(), Vec::new())
            }
            // Silence, or a key with nothing recorded: the message is optional.
            (Node::Record { next, .. }, CallEvent::NoInput | CallEvent::Digits { .. }) => {
                self.enter(state, &next.clone(), Vec::new())
            }
            _ => Err(unexpected()),
        }
    }

    /// Counts a failed answer: re-ask with the invalid/timeout prompt, or take
    /// the fallback once the retries are used up. Never a hang-up.
    pub(super) fn fail(&self, state: &mut CallState, failure: Failure) -> Result<Vec<Action>, FlowError> {
        let node = self.node(&state.node)?;
        let input: &InputPolicy = node.input().ok_or_else(|| FlowError::UnknownNode(state.node.clone()))?;
        state.attempts = state.attempts.saturating_add(1);
        if state.attempts > input.retries {
            if let (Some(value), Some(slot)) = (&input.fallback_value, menu_slot(node)) {
                set_slot(&mut state.data, slot, value);
            } else if let Node::List { of: ListOf::Languages, .. } = node {
                // No answer: the language first offered, the likeliest one.
                let first = self.items(ListOf::Languages, state).first().copied();
                state.data.language = first.and_then(|i| self.flow.languages.get(usize::from(i))).cloned();
            }
            let fallback = input.fallback.clone();
            return self.enter(state, &fallback, Vec::new());
        }
        let lead = match failure {
            Failure::Invalid => &input.invalid_prompts,
            Failure::Timeout => &input.timeout_prompts,
        };
        let lead = self.resolve(&state.data, lead);
        self.ask(state, lead)
    }

    /// Moves to `id`: play nodes are spoken and passed through, an end node
    /// ends the call, an input node asks its question.
    pub(super) fn enter(
        &self,
        state: &mut CallState,
        id: &str,
        mut lead: Vec<Prompt>,
    ) -> Result<Vec<Action>, FlowError> {
        let mut current = id.to_owned();
        for _ in 0..=self.flow.nodes.len() {
            state.node.clone_from(&current);
            state.attempts = 0;
            state.page = 0;
            state.offered.clear();
            match self.node(&current)? {
                Node::Play { prompts, next } => {
                    lead.extend(self.resolve(&state.data, prompts));
                    current.clone_from(next);
                }
                // Nothing to offer: on to the question it stands before.
                Node::GuessState { other, .. } if state.guess.is_empty() => current.clone_from(other),
                Node::List { of, empty, .. } if self.items(*of, state).is_empty() => current.clone_from(empty),
                Node::End { prompts, queue } => {
                    lead.extend(self.resolve(&state.data, prompts));
                    state.ended = Some(Ending { reason: EndReason::FlowEnded, queue: *queue });
                    let mut actions = play(lead);
                    actions.push(Action::Hangup);
                    return Ok(actions);
                }
                _ => return self.ask(state, lead),
            }
        }
        Err(FlowError::PlayLoop(id.to_owned()))
    }

    /// The current node's question, after the `lead` prompts.
    pub(super) fn ask(&self, state: &mut CallState, mut lead: Vec<Prompt>) -> Result<Vec<Action>, FlowError> {
        let node = self.node(&state.node)?;
        lead.extend(self.resolve(&state.data, node.prompts()));
        let prompts = lead;
        let action = match node {
            Node::GuessState { other, .. } if state.guess.is_empty() => {
                let other = other.clone();
                return self.enter(state, &other, prompts);
            }
            Node::GuessState { other_prompts, key_prompts, short_key_prompts, input, .. } => {
                let mut prompts = prompts;
                let language = self.language(&state.data);
                for (i, code) in state.guess.iter().enumerate() {
                    prompts.push(Prompt::StateName { code: *code, language: language.clone() });
                    // press_1, then the number alone (key_2 …): key_prompts start at press_1.
                    let key = if i == 0 { key_prompts.first() } else { short_key_prompts.get(i + 1) };
                    prompts.extend(self.resolve(&state.data, key.map(std::slice::from_ref).unwrap_or_default()));
                }
                prompts.extend(self.resolve(&state.data, other_prompts));
                prompts.extend(self.resolve(
                    &state.data,
                    short_key_prompts.get(state.guess.len() + 1).map(std::slice::from_ref).unwrap_or_default(),
                ));
                Action::Gather { prompts, max_digits: 1, finish_key: None, timeout_secs: input.timeout_secs }
            }
            Node::List { .. } => return self.ask_list(state, prompts),
            Node::Menu { input, .. } | Node::Confirm { input, .. } => {
                Action::Gather { prompts, max_digits: 1, finish_key: None, timeout_secs: input.timeout_secs }
            }
            Node::Collect { max_digits, finish_key, input, .. } => Action::Gather {
                prompts,
                max_digits: *max_digits,
                finish_key: *finish_key,
                timeout_secs: input.timeout_secs,
            },
            Node::Record { max_length_secs, silence_secs, finish_key, .. } => Action::Record {
                prompts,
                max_length_secs: *max_length_secs,
                silence_secs: *silence_secs,
                finish_key: *finish_key,
            },
            Node::Play { .. } | Node::End { .. } => {
                let id = state.node.clone();
                return self.enter(state, &id, prompts);
            }
        };
        Ok(vec![action])
    }

    /// The caller's language, or the flow's until they chose one.
    pub(super) fn language(&self, data: &Captured) -> crate::domain::Language {
        data.language.clone().unwrap_or_else(|| self.flow.default_language.clone())
    }

    /// Turns the flow's prompt references into prompts in the caller's language.
    pub(super) fn resolve(&self, data: &Captured, refs: &[PromptRef]) -> Vec<Prompt> {
        let language = self.language(data);
        let refs = number_read_back(data, refs);
        refs.iter()
            .filter_map(|r| match r {
                PromptRef::Catalog { key, language: pinned } => Some(Prompt::Catalog {
                    key: key.clone(),
                    language: pinned.clone().unwrap_or_else(|| language.clone()),
                }),
                PromptRef::Slot(Slot::HomeState) => {
                    data.home_state.map(|code| Prompt::StateName { code, language: language.clone() })
                }
                PromptRef::Slot(Slot::HomeDistrict) => {
                    data.home_district.map(|code| Prompt::DistrictName { code, language: language.clone() })
                }
                PromptRef::Slot(Slot::Pin) => {
                    data.pin.map(|pin| Prompt::PostOffice { pin, language: language.clone() })
                }
                PromptRef::Slot(_) => None,
            })
            .collect()
    }
}

fn play(prompts: Vec<Prompt>) -> Vec<Action> {
    if prompts.is_empty() { Vec::new() } else { vec![Action::Play { prompts }] }
}
