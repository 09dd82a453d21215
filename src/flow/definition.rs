//! A flow's compiled form: typed nodes, the slots they fill and the prompts
//! they name. `format.rs` reads a flow file into it ([`Flow::parse`]) and
//! `check.rs` checks it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{
    domain::{Language, Need},
    prompts::PromptKey,
};

/// A slot of the call record that nodes fill in and prompts can read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Language,
    Consent,
    HomeState,
    HomeDistrict,
    Need,
    /// A six-digit PIN code: its post office is read back, and it gives the
    /// home district (and state).
    Pin,
    /// Another number to call back on: ten digits of an Indian mobile.
    CallbackNumber,
}

impl Slot {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Consent => "consent",
            Self::HomeState => "home_state",
            Self::HomeDistrict => "home_district",
            Self::Need => "need",
            Self::Pin => "pin",
            Self::CallbackNumber => "callback_number",
        }
    }
}

/// A value a menu choice (or a fallback) puts in its slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotValue {
    Language(Language),
    Consent(bool),
    Need(Need),
}

/// A prompt as a flow names it: a catalog key (optionally pinned to one
/// language, `welcome@hi`) or a slot read back to the caller (`{home_district}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptRef {
    Catalog { key: PromptKey, language: Option<Language> },
    Slot(Slot),
}

/// What an input node does when the caller keys nothing or something invalid.
#[derive(Debug, Clone)]
pub struct InputPolicy {
    pub timeout_secs: u32,
    /// Re-asks after a failed answer before the fallback is taken.
    pub retries: u8,
    pub invalid_prompts: Vec<PromptRef>,
    pub timeout_prompts: Vec<PromptRef>,
    /// Where the call goes when the retries are used up (never a hang-up).
    pub fallback: String,
    /// What the fallback puts in the node's slot, if anything.
    pub fallback_value: Option<SlotValue>,
    /// Where the `*` key goes: back one question, so a wrong answer can be
    /// fixed (`None`: `*` is a wrong key like any other).
    pub back: Option<String>,
}

/// What a list node reads out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOf {
    /// Every state, the ones this helpline's callers came from most first,
    /// then the ones most migrant workers come from, then by name.
    States,
    /// The home state's districts, this helpline's callers' most first,
    /// then by name.
    Districts,
    /// The flow's languages, the ones spoken where the caller's number
    /// comes from first; each said in its own language.
    Languages,
}

impl ListOf {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::States => "states",
            Self::Districts => "districts",
            Self::Languages => "languages",
        }
    }

    /// The slot a name chosen fills.
    pub fn slot(self) -> Slot {
        match self {
            Self::States => Slot::HomeState,
            Self::Districts => Slot::HomeDistrict,
            Self::Languages => Slot::Language,
        }
    }
}

/// A key of a list that is not a name: its prompts and where it goes.
#[derive(Debug, Clone)]
pub struct ListOption {
    pub prompts: Vec<PromptRef>,
    pub next: String,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub next: String,
    pub value: Option<SlotValue>,
}

/// A compiled node.
#[derive(Debug, Clone)]
pub enum Node {
    /// One key picks a choice.
    Menu { prompts: Vec<PromptRef>, slot: Option<Slot>, choices: BTreeMap<char, Choice>, input: InputPolicy },
    /// Several digits, checked against the directory for the slot.
    Collect {
        prompts: Vec<PromptRef>,
        slot: Slot,
        min_digits: u8,
        max_digits: u8,
        finish_key: Option<char>,
        next: String,
        input: InputPolicy,
    },
    /// Offers the home states the caller's number suggests ([`guess`]),
    /// each as its name and `press_<n>` (keys 1, 2, …), then
    /// `other_prompts` and the next key for another state. A state chosen
    /// is the home state and the call goes to `next`; "another state" goes
    /// to `other`. With no guess (a withheld or unknown number) the node is
    /// passed through to `other` without a word.
    ///
    /// [`guess`]: crate::flow::CallState::guess
    GuessState {
        prompts: Vec<PromptRef>,
        other_prompts: Vec<PromptRef>,
        /// `press_1` … `press_9`: what follows each option's name.
        key_prompts: Vec<PromptRef>,
        /// `key_0` … `key_9`: the key alone, once "press" was said.
        short_key_prompts: Vec<PromptRef>,
        next: String,
        other: String,
        input: InputPolicy,
    },
    /// A list of names read a page at a time ([`ListOf`]): each name and
    /// `press_<n>` on keys 1, 2, …; then, when there is more than a page,
    /// `more_prompts` and 9 for the next page (after the last, the first
    /// again); then each option's prompts and its key. The names fill the
    /// keys the options leave (options take 0 and the top keys: 8, 7, …).
    /// A name chosen goes to `next`; a list with nothing to read (districts
    /// while the state is unknown) passes through to `empty` without a word.
    List {
        of: ListOf,
        prompts: Vec<PromptRef>,
        /// Said for each name (a language list: in that language) before its key.
        item_prompts: Vec<PromptRef>,
        more_prompts: Vec<PromptRef>,
        options: BTreeMap<char, ListOption>,
        /// Said last, after the options: how to go back (`*`).
        back_prompts: Vec<PromptRef>,
        /// `press_0` … `press_9`.
        key_prompts: Vec<PromptRef>,
        /// `key_0` … `key_9`: the key alone, once "press" was said.
        short_key_prompts: Vec<PromptRef>,
        next: String,
        empty: String,
        input: InputPolicy,
    },
    /// Read something back; one key confirms, another goes back.
    Confirm {
        prompts: Vec<PromptRef>,
        confirms: Option<Slot>,
        yes_key: char,
        no_key: char,
        yes: String,
        no: String,
        input: InputPolicy,
    },
    /// A recording; silence or the finish key ends it. It is the voice
    /// message, or with `place` the caller's district and village said
    /// aloud, for a volunteer to code.
    Record {
        prompts: Vec<PromptRef>,
        place: bool,
        max_length_secs: u32,
        silence_secs: u32,
        finish_key: Option<char>,
        next: String,
    },
    /// Prompts with no input.
    Play { prompts: Vec<PromptRef>, next: String },
    /// Last words; the call hangs up (and is queued for a callback, by default).
    End { prompts: Vec<PromptRef>, queue: bool },
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Menu { .. } => "menu",
            Self::Collect { .. } => "collect",
            Self::GuessState { .. } => "guess_state",
            Self::List { .. } => "list",
            Self::Confirm { .. } => "confirm",
            Self::Record { .. } => "record",
            Self::Play { .. } => "play",
            Self::End { .. } => "end",
        }
    }

    pub fn prompts(&self) -> &[PromptRef] {
        match self {
            Self::Menu { prompts, .. }
            | Self::GuessState { prompts, .. }
            | Self::List { prompts, .. }
            | Self::Collect { prompts, .. }
            | Self::Confirm { prompts, .. }
            | Self::Record { prompts, .. }
            | Self::Play { prompts, .. }
            | Self::End { prompts, .. } => prompts,
        }
    }

    pub fn input(&self) -> Option<&InputPolicy> {
        match self {
            Self::Menu { input, .. }
            | Self::GuessState { input, .. }
            | Self::List { input, .. }
            | Self::Collect { input, .. }
            | Self::Confirm { input, .. } => Some(input),
            _ => None,
        }
    }

    /// Every prompt the node can play: its question, re-asks, and a guess's
    /// option prompts.
    pub fn all_prompts(&self) -> Vec<&PromptRef> {
        let mut refs: Vec<&PromptRef> = self.prompts().iter().collect();
        if let Some(input) = self.input() {
            refs.extend(input.invalid_prompts.iter().chain(&input.timeout_prompts));
        }
        match self {
            Self::GuessState { other_prompts, key_prompts, short_key_prompts, .. } => {
                refs.extend(other_prompts.iter().chain(key_prompts).chain(short_key_prompts));
            }
            Self::List {
                item_prompts, more_prompts, options, back_prompts, key_prompts, short_key_prompts, ..
            } => {
                refs.extend(item_prompts.iter().chain(more_prompts).chain(key_prompts).chain(back_prompts));
                refs.extend(short_key_prompts);
                refs.extend(options.values().flat_map(|o| &o.prompts));
            }
            _ => {}
        }
        refs
    }

    /// Every edge out of the node, with a label naming where it is declared.
    pub fn edges(&self) -> Vec<(String, &str)> {
        let mut edges: Vec<(String, &str)> = match self {
            Self::Menu { choices, .. } => {
                choices.iter().map(|(k, c)| (format!("option {k}"), c.next.as_str())).collect()
            }
            Self::Collect { next, .. } | Self::Record { next, .. } | Self::Play { next, .. } => {
                vec![("next".to_owned(), next.as_str())]
            }
            Self::Confirm { yes, no, .. } => vec![("yes".to_owned(), yes.as_str()), ("no".to_owned(), no.as_str())],
            Self::GuessState { next, other, .. } => {
                vec![("next".to_owned(), next.as_str()), ("other".to_owned(), other.as_str())]
            }
            Self::List { next, empty, options, .. } => {
                let mut edges = vec![("next".to_owned(), next.as_str()), ("empty".to_owned(), empty.as_str())];
                edges.extend(options.iter().map(|(k, o)| (format!("option {k}"), o.next.as_str())));
                edges
            }
            Self::End { .. } => Vec::new(),
        };
        if let Some(input) = self.input() {
            edges.push(("fallback".to_owned(), input.fallback.as_str()));
            if let Some(back) = &input.back {
                edges.push(("back".to_owned(), back.as_str()));
            }
        }
        edges
    }

    /// The edge a caller who never presses anything follows.
    pub fn silence_edge(&self) -> Option<&str> {
        match self {
            Self::Record { next, .. } | Self::Play { next, .. } => Some(next),
            Self::End { .. } => None,
            _ => self.input().map(|i| i.fallback.as_str()),
        }
    }
}

/// The key said after the `n`th name of a list (from 1): the first says
/// "press 1", the rest the number alone ("Patna, press 1. Gaya, 2."), and
/// so do the options after the names. `keys` are `press_0` … `press_9`,
/// `short` `key_0` … `key_9`.
pub fn name_key<'a>(keys: &'a [PromptRef], short: &'a [PromptRef], n: usize) -> Option<&'a PromptRef> {
    if n == 1 { keys.get(n) } else { short.get(n) }
}

/// A compiled, checked flow.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    /// First 12 hex digits of the SHA-256 of the source: calls keep the
    /// version they started with.
    pub version: String,
    pub source: String,
    pub start: String,
    pub languages: Vec<Language>,
    pub default_language: Language,
    pub nodes: BTreeMap<String, Node>,
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Every catalog prompt the flow can play (re-asks included), with the
    /// languages it plays it in: the flow's languages, or the one a
    /// reference names (a language menu speaks each option in its own). A
    /// callback number read back plays `digit_0` … `digit_9`.
    pub fn catalog_prompts(&self) -> BTreeMap<PromptKey, BTreeSet<Language>> {
        let mut used: BTreeMap<PromptKey, BTreeSet<Language>> = BTreeMap::new();
        for node in self.nodes.values() {
            for prompt in node.all_prompts() {
                match prompt {
                    PromptRef::Catalog { key, language } => {
                        let languages = language.as_ref().map_or(self.languages.as_slice(), std::slice::from_ref);
                        used.entry(key.clone()).or_default().extend(languages.iter().cloned());
                    }
                    PromptRef::Slot(Slot::CallbackNumber) => {
                        for key in digit_keys() {
                            used.entry(key).or_default().extend(self.languages.iter().cloned());
                        }
                    }
                    PromptRef::Slot(_) => {}
                }
            }
        }
        used
    }

    /// The flow as a Mermaid graph, for review.
    pub fn to_mermaid(&self) -> String {
        let mut out = format!("flowchart TD\n  start(((call))) --> {}\n", self.start);
        for (id, node) in &self.nodes {
            out.push_str(&format!("  {id}[\"{id} ({})\"]\n", node.kind()));
            for (label, target) in node.edges() {
                out.push_str(&format!("  {id} -->|{label}| {target}\n"));
            }
        }
        out
    }
}

/// The prompts that say a digit, `digit_0` … `digit_9`: a callback number
/// read back (`{callback_number}`) plays one for each digit.
pub fn digit_keys() -> Vec<PromptKey> {
    (0..=9).filter_map(|d| PromptKey::parse(&format!("digit_{d}")).ok()).collect()
}
