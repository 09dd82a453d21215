//! The flow file format and its compiled form.
//!
//! A flow file is TOML: a few top-level keys and a table of nodes, each with a
//! `kind`. See README.md ("Flow files") for the format with an example.
//! [`Flow::parse`] compiles a file into typed nodes and runs every check
//! (see `check.rs`), returning all problems at once rather than the first.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::check::{self, Problem};
use crate::{
    domain::{Language, Need},
    prompts::{Catalog, PromptKey},
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
}

impl Slot {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Consent => "consent",
            Self::HomeState => "home_state",
            Self::HomeDistrict => "home_district",
            Self::Need => "need",
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
    /// A voice message; silence or the finish key ends it.
    Record { prompts: Vec<PromptRef>, max_length_secs: u32, silence_secs: u32, finish_key: Option<char>, next: String },
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
            Self::Confirm { .. } => "confirm",
            Self::Record { .. } => "record",
            Self::Play { .. } => "play",
            Self::End { .. } => "end",
        }
    }

    pub fn prompts(&self) -> &[PromptRef] {
        match self {
            Self::Menu { prompts, .. }
            | Self::Collect { prompts, .. }
            | Self::Confirm { prompts, .. }
            | Self::Record { prompts, .. }
            | Self::Play { prompts, .. }
            | Self::End { prompts, .. } => prompts,
        }
    }

    pub fn input(&self) -> Option<&InputPolicy> {
        match self {
            Self::Menu { input, .. } | Self::Collect { input, .. } | Self::Confirm { input, .. } => Some(input),
            _ => None,
        }
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
            Self::End { .. } => Vec::new(),
        };
        if let Some(input) = self.input() {
            edges.push(("fallback".to_owned(), input.fallback.as_str()));
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

/// Why a flow file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct FlowFileError {
    pub problems: Vec<Problem>,
}

impl Flow {
    /// Compiles and checks a flow file. With a catalog, every prompt must
    /// exist in it in every language the flow speaks; without one (a version
    /// read back from the database) prompts are not checked.
    pub fn parse(source: &str, catalog: Option<&Catalog>) -> Result<Self, FlowFileError> {
        let file: FlowFile = toml::from_str(source)
            .map_err(|e| FlowFileError { problems: vec![Problem::file(e.message().to_owned())] })?;
        let mut problems = Vec::new();
        let flow = compile(file, source, &mut problems);
        if let Some(flow) = &flow {
            problems.extend(check::check(flow, catalog));
        }
        match flow {
            Some(flow) if problems.is_empty() => Ok(flow),
            _ => Err(FlowFileError { problems }),
        }
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Every catalog prompt the flow can play (re-asks included), with the
    /// languages it plays it in: the flow's languages, or the one a
    /// reference names (a language menu speaks each option in its own).
    pub fn catalog_prompts(&self) -> BTreeMap<PromptKey, BTreeSet<Language>> {
        let mut used: BTreeMap<PromptKey, BTreeSet<Language>> = BTreeMap::new();
        for node in self.nodes.values() {
            let mut refs: Vec<&PromptRef> = node.prompts().iter().collect();
            if let Some(input) = node.input() {
                refs.extend(input.invalid_prompts.iter().chain(&input.timeout_prompts));
            }
            for prompt in refs {
                let PromptRef::Catalog { key, language } = prompt else { continue };
                let languages = language.as_ref().map_or(self.languages.as_slice(), std::slice::from_ref);
                used.entry(key.clone()).or_default().extend(languages.iter().cloned());
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

// ---- the file format -------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowFile {
    id: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    start: String,
    languages: Vec<String>,
    default_language: String,
    nodes: BTreeMap<String, NodeDef>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum NodeDef {
    Menu(MenuDef),
    Collect(CollectDef),
    Confirm(ConfirmDef),
    Record(RecordDef),
    Play(PlayDef),
    End(EndDef),
}

#[derive(Debug, Deserialize)]
struct InputDef {
    #[serde(default = "default_timeout")]
    timeout_secs: u32,
    #[serde(default = "default_retries")]
    retries: u8,
    invalid_prompts: Vec<String>,
    #[serde(default)]
    timeout_prompts: Option<Vec<String>>,
    fallback: String,
    #[serde(default)]
    fallback_value: Option<String>,
}

/// Serde cannot deny unknown fields next to `flatten`, so keys that neither
/// this struct nor [`InputDef`] knows land in `unknown` and are reported.
#[derive(Debug, Deserialize)]
struct MenuDef {
    prompts: Vec<String>,
    #[serde(default)]
    store: Option<Slot>,
    options: BTreeMap<String, OptionDef>,
    #[serde(flatten)]
    input: InputDef,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionDef {
    next: String,
    #[serde(default)]
    value: Option<String>,
}

/// Serde cannot deny unknown fields next to `flatten`, so keys that neither
/// this struct nor [`InputDef`] knows land in `unknown` and are reported.
#[derive(Debug, Deserialize)]
struct CollectDef {
    prompts: Vec<String>,
    store: Slot,
    min_digits: u8,
    max_digits: u8,
    #[serde(default = "default_finish_key")]
    finish_key: String,
    next: String,
    #[serde(flatten)]
    input: InputDef,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// Serde cannot deny unknown fields next to `flatten`, so keys that neither
/// this struct nor [`InputDef`] knows land in `unknown` and are reported.
#[derive(Debug, Deserialize)]
struct ConfirmDef {
    prompts: Vec<String>,
    #[serde(default)]
    confirms: Option<Slot>,
    #[serde(default = "default_yes_key")]
    yes_key: String,
    #[serde(default = "default_no_key")]
    no_key: String,
    yes: String,
    no: String,
    #[serde(flatten)]
    input: InputDef,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordDef {
    prompts: Vec<String>,
    #[serde(default = "default_max_length")]
    max_length_secs: u32,
    #[serde(default = "default_silence")]
    silence_secs: u32,
    #[serde(default = "default_finish_key")]
    finish_key: String,
    next: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlayDef {
    prompts: Vec<String>,
    next: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndDef {
    #[serde(default)]
    prompts: Vec<String>,
    #[serde(default = "default_true")]
    queue: bool,
}

fn default_timeout() -> u32 {
    6
}
fn default_retries() -> u8 {
    2
}
fn default_finish_key() -> String {
    "#".to_owned()
}
fn default_yes_key() -> String {
    "1".to_owned()
}
fn default_no_key() -> String {
    "2".to_owned()
}
fn default_max_length() -> u32 {
    120
}
fn default_silence() -> u32 {
    5
}
fn default_true() -> bool {
    true
}

// ---- compiling -------------------------------------------------------------

/// Collects problems while compiling one node.
struct Compiler<'a> {
    node: &'a str,
    problems: &'a mut Vec<Problem>,
    languages: &'a [Language],
}

impl Compiler<'_> {
    fn problem(&mut self, message: String) {
        self.problems.push(Problem::node(self.node, message));
    }

    fn prompts(&mut self, refs: &[String]) -> Vec<PromptRef> {
        refs.iter().filter_map(|r| self.prompt(r)).collect()
    }

    fn prompt(&mut self, text: &str) -> Option<PromptRef> {
        if let Some(slot) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            return match slot {
                "home_state" => Some(PromptRef::Slot(Slot::HomeState)),
                "home_district" => Some(PromptRef::Slot(Slot::HomeDistrict)),
                _ => {
                    self.problem(format!(
                        "prompt `{text}`: only {{home_state}} and {{home_district}} can be read back"
                    ));
                    None
                }
            };
        }
        let (key, language) = match text.split_once('@') {
            Some((key, lang)) => (key, Some(lang)),
            None => (text, None),
        };
        let key = PromptKey::parse(key).map_err(|e| self.problem(e.to_string())).ok()?;
        let language = match language {
            None => None,
            Some(code) => Some(self.language(code)?),
        };
        Some(PromptRef::Catalog { key, language })
    }

    fn language(&mut self, code: &str) -> Option<Language> {
        match Language::parse(code) {
            Ok(lang) if self.languages.contains(&lang) => Some(lang),
            Ok(_) => {
                self.problem(format!("language `{code}` is not in the flow's `languages`"));
                None
            }
            Err(e) => {
                self.problem(e.to_string());
                None
            }
        }
    }

    fn key(&mut self, what: &str, text: &str) -> Option<char> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c),
            _ => {
                self.problem(format!("{what} `{text}` is not one keypad key (0-9, * or #)"));
                None
            }
        }
    }

    fn finish_key(&mut self, text: &str) -> Option<char> {
        if text.is_empty() { None } else { self.key("finish_key", text) }
    }

    fn value(&mut self, slot: Option<Slot>, text: &str) -> Option<SlotValue> {
        match slot {
            Some(Slot::Language) => self.language(text).map(SlotValue::Language),
            Some(Slot::Consent) => match text {
                "yes" => Some(SlotValue::Consent(true)),
                "no" => Some(SlotValue::Consent(false)),
                _ => {
                    self.problem(format!("consent value `{text}` must be `yes` or `no`"));
                    None
                }
            },
            Some(Slot::Need) => text
                .parse()
                .map(SlotValue::Need)
                .map_err(|e: crate::domain::NeedError| {
                    self.problem(e.to_string());
                })
                .ok(),
            Some(other) => {
                self.problem(format!("a menu cannot store into `{}`; use a collect node", other.as_str()));
                None
            }
            None => {
                self.problem(format!("value `{text}` given, but the menu has no `store`"));
                None
            }
        }
    }

    fn input(&mut self, def: InputDef, slot: Option<Slot>) -> InputPolicy {
        let invalid_prompts = self.prompts(&def.invalid_prompts);
        let timeout_prompts = match &def.timeout_prompts {
            Some(refs) => self.prompts(refs),
            None => invalid_prompts.clone(),
        };
        if def.timeout_secs == 0 || def.timeout_secs > 60 {
            self.problem(format!("timeout_secs {} must be between 1 and 60", def.timeout_secs));
        }
        if def.retries > 5 {
            self.problem(format!("retries {} is more than 5: a caller should not be asked six times", def.retries));
        }
        let fallback_value = def.fallback_value.as_deref().and_then(|v| self.value(slot, v));
        InputPolicy {
            timeout_secs: def.timeout_secs,
            retries: def.retries,
            invalid_prompts,
            timeout_prompts,
            fallback: def.fallback,
            fallback_value,
        }
    }

    fn node(&mut self, def: NodeDef) -> Node {
        match def {
            NodeDef::Menu(def) => self.menu(def),
            NodeDef::Collect(def) => self.collect(def),
            NodeDef::Confirm(def) => self.confirm(def),
            NodeDef::Record(def) => Node::Record {
                prompts: self.prompts(&def.prompts),
                max_length_secs: def.max_length_secs,
                silence_secs: def.silence_secs,
                finish_key: self.finish_key(&def.finish_key),
                next: def.next,
            },
            NodeDef::Play(def) => Node::Play { prompts: self.prompts(&def.prompts), next: def.next },
            NodeDef::End(def) => Node::End { prompts: self.prompts(&def.prompts), queue: def.queue },
        }
    }

    fn unknown_keys(&mut self, unknown: &BTreeMap<String, toml::Value>) {
        for key in unknown.keys() {
            self.problem(format!("unknown key `{key}`"));
        }
    }

    fn menu(&mut self, def: MenuDef) -> Node {
        self.unknown_keys(&def.unknown);
        let mut choices = BTreeMap::new();
        for (key, option) in def.options {
            let Some(key) = self.key("option", &key) else { continue };
            let value = option.value.as_deref().and_then(|v| self.value(def.store, v));
            if def.store.is_some() && option.value.is_none() {
                self.problem(format!("option {key} has no `value` for `{}`", def.store.map_or("", Slot::as_str)));
            }
            choices.insert(key, Choice { next: option.next, value });
        }
        if choices.is_empty() {
            self.problem("a menu needs at least one option".to_owned());
        }
        let input = self.input(def.input, def.store);
        Node::Menu { prompts: self.prompts(&def.prompts), slot: def.store, choices, input }
    }

    fn collect(&mut self, def: CollectDef) -> Node {
        self.unknown_keys(&def.unknown);
        if !matches!(def.store, Slot::HomeState | Slot::HomeDistrict) {
            self.problem(format!("a collect node cannot store into `{}`", def.store.as_str()));
        }
        if def.min_digits == 0 || def.min_digits > def.max_digits || def.max_digits > 20 {
            self.problem(format!("digits {}..{} must satisfy 1 <= min <= max <= 20", def.min_digits, def.max_digits));
        }
        let finish_key = self.finish_key(&def.finish_key);
        if finish_key.is_some_and(|k| k.is_ascii_digit()) {
            self.problem("finish_key must be * or #, not a digit the caller may need".to_owned());
        }
        let input = self.input(def.input, Some(def.store));
        Node::Collect {
            prompts: self.prompts(&def.prompts),
            slot: def.store,
            min_digits: def.min_digits,
            max_digits: def.max_digits,
            finish_key,
            next: def.next,
            input,
        }
    }

    fn confirm(&mut self, def: ConfirmDef) -> Node {
        self.unknown_keys(&def.unknown);
        let yes_key = self.key("yes_key", &def.yes_key).unwrap_or('1');
        let no_key = self.key("no_key", &def.no_key).unwrap_or('2');
        if yes_key == no_key {
            self.problem("yes_key and no_key are the same key".to_owned());
        }
        let input = self.input(def.input, None);
        Node::Confirm {
            prompts: self.prompts(&def.prompts),
            confirms: def.confirms,
            yes_key,
            no_key,
            yes: def.yes,
            no: def.no,
            input,
        }
    }
}

fn compile(file: FlowFile, source: &str, problems: &mut Vec<Problem>) -> Option<Flow> {
    let mut languages = Vec::new();
    for code in &file.languages {
        match Language::parse(code) {
            Ok(lang) => languages.push(lang),
            Err(e) => problems.push(Problem::file(e.to_string())),
        }
    }
    let default_language = match Language::parse(&file.default_language) {
        Ok(lang) if languages.contains(&lang) => Some(lang),
        _ => {
            problems
                .push(Problem::file(format!("default_language `{}` is not one of `languages`", file.default_language)));
            None
        }
    };
    let mut nodes = BTreeMap::new();
    for (id, def) in file.nodes {
        let mut compiler = Compiler { node: &id, problems, languages: &languages };
        let node = compiler.node(def);
        nodes.insert(id, node);
    }
    let digest = Sha256::digest(source.as_bytes());
    Some(Flow {
        id: file.id,
        version: digest.iter().take(6).map(|b| format!("{b:02x}")).collect(),
        source: source.to_owned(),
        start: file.start,
        languages,
        default_language: default_language?,
        nodes,
    })
}
