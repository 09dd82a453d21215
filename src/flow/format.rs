//! The flow file format. A flow file is TOML: a few top-level keys and a
//! table of nodes, each with a `kind`. See README.md ("Flow files") for the
//! format with an example. [`Flow::parse`] compiles a file into typed nodes
//! (`format/compile.rs`) and runs every check (see `check.rs`), returning all
//! problems at once rather than the first.

mod compile;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    check::{self, Problem},
    definition::{Flow, ListOf, Slot},
};
use crate::prompts::Catalog;
use compile::compile;

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
}

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
    GuessState(GuessDef),
    List(ListDef),
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
    /// Where `*` takes the caller: the question before, to fix an answer.
    #[serde(default)]
    back: Option<String>,
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
struct GuessDef {
    prompts: Vec<String>,
    other_prompts: Vec<String>,
    next: String,
    other: String,
    #[serde(flatten)]
    input: InputDef,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// Serde cannot deny unknown fields next to `flatten`, so keys that neither
/// this struct nor [`InputDef`] knows land in `unknown` and are reported.
#[derive(Debug, Deserialize)]
struct ListDef {
    of: ListOf,
    prompts: Vec<String>,
    #[serde(default)]
    item_prompts: Vec<String>,
    #[serde(default)]
    more_prompts: Vec<String>,
    #[serde(default)]
    options: BTreeMap<String, ListOptionDef>,
    /// Said last: how to go back (`*`).
    #[serde(default)]
    back_prompts: Vec<String>,
    next: String,
    #[serde(default)]
    empty: Option<String>,
    #[serde(flatten)]
    input: InputDef,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListOptionDef {
    #[serde(default)]
    prompts: Vec<String>,
    next: String,
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
    /// `message` (the default): the voice message; `place`: the district
    /// and village said aloud.
    #[serde(default)]
    store: Option<String>,
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
