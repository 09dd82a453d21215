//! The checks a flow must pass before it answers a single call: every edge
//! lands on a node, every node is reachable, every prompt exists in the
//! catalog in every language the flow speaks, and every path ends — including
//! the path of a caller who never presses a key.

use std::{
    collections::{BTreeSet, HashSet, VecDeque},
    fmt,
};

use super::definition::{Flow, Node, PromptRef, Slot};
use crate::{
    domain::Language,
    prompts::{Catalog, PromptKey},
};

/// One thing wrong with a flow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub node: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn file(message: String) -> Self {
        Self { node: None, message }
    }

    pub fn node(node: &str, message: String) -> Self {
        Self { node: Some(node.to_owned()), message }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node {
            Some(node) => write!(f, "node `{node}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Runs every check; an empty list means the flow is sound.
pub fn check(flow: &Flow, catalog: Option<&Catalog>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if flow.node(&flow.start).is_none() {
        problems.push(Problem::file(format!("start node `{}` does not exist", flow.start)));
        return problems;
    }
    dangling_edges(flow, &mut problems);
    unreachable_nodes(flow, &mut problems);
    dead_ends(flow, &mut problems);
    silent_caller_never_finishes(flow, &mut problems);
    missing_consent(flow, &mut problems);
    if let Some(catalog) = catalog {
        missing_prompts(flow, catalog, &mut problems);
    }
    problems
}

fn dangling_edges(flow: &Flow, problems: &mut Vec<Problem>) {
    for (id, node) in &flow.nodes {
        for (label, target) in node.edges() {
            if flow.node(target).is_none() {
                problems.push(Problem::node(id, format!("{label} goes to `{target}`, which is not a node")));
            }
        }
    }
}

/// Nodes reachable from `from` along any edge.
fn reachable(flow: &Flow, from: &str) -> HashSet<String> {
    let mut seen = HashSet::from([from.to_owned()]);
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(id) = queue.pop_front() {
        let Some(node) = flow.node(&id) else { continue };
        for (_, target) in node.edges() {
            if flow.node(target).is_some() && seen.insert(target.to_owned()) {
                queue.push_back(target.to_owned());
            }
        }
    }
    seen
}

fn unreachable_nodes(flow: &Flow, problems: &mut Vec<Problem>) {
    let seen = reachable(flow, &flow.start);
    for id in flow.nodes.keys().filter(|id| !seen.contains(*id)) {
        problems.push(Problem::node(id, format!("is unreachable from the start node `{}`", flow.start)));
    }
}

/// Every reachable node must have some way on to an end node.
fn dead_ends(flow: &Flow, problems: &mut Vec<Problem>) {
    for id in reachable(flow, &flow.start) {
        let ends = reachable(flow, &id).iter().any(|n| matches!(flow.node(n), Some(Node::End { .. })));
        if !ends {
            problems.push(Problem::node(&id, "no path from here reaches an end node".to_owned()));
        }
    }
}

/// A caller who keys nothing follows the silence edges (fallbacks, record and
/// play `next`). From every node that walk must reach an end node without
/// going round in a circle, or a silent caller would be held forever.
fn silent_caller_never_finishes(flow: &Flow, problems: &mut Vec<Problem>) {
    for start in flow.nodes.keys() {
        let mut seen = BTreeSet::new();
        let mut current = start.as_str();
        loop {
            if !seen.insert(current) {
                problems.push(Problem::node(
                    start,
                    format!(
                        "a caller who presses nothing goes round in a loop through `{current}` and never reaches an end"
                    ),
                ));
                break;
            }
            match flow.node(current).and_then(Node::silence_edge) {
                Some(next) => current = next,
                None => break,
            }
        }
    }
}

/// Answers are only kept with consent (see `cases::fold`), so a flow that
/// collects anything personal must ask for it.
fn missing_consent(flow: &Flow, problems: &mut Vec<Problem>) {
    let asks_consent = flow.nodes.values().any(|n| matches!(n, Node::Menu { slot: Some(Slot::Consent), .. }));
    let collects = flow.nodes.values().any(|n| {
        matches!(
            n,
            Node::Collect { .. }
                | Node::GuessState { .. }
                | Node::Record { .. }
                | Node::Menu { slot: Some(Slot::Need), .. }
        )
    });
    if collects && !asks_consent {
        problems.push(Problem::file(
            "the flow collects answers but has no menu that stores `consent`; without consent nothing but the number and language is kept".to_owned(),
        ));
    }
}

fn missing_prompts(flow: &Flow, catalog: &Catalog, problems: &mut Vec<Problem>) {
    for lang in &flow.languages {
        if catalog.language(lang).is_none() {
            problems.push(Problem::file(format!("language `{lang}` is not in the prompt catalog")));
        }
    }
    for (id, node) in &flow.nodes {
        let mut found = Found { flow, catalog, id, reported: HashSet::new(), problems: &mut *problems };
        for prompt in node.all_prompts() {
            match prompt {
                PromptRef::Catalog { key, language } => found.check(key, language.as_ref()),
                // Each digit is said by its own prompt, in the caller's language.
                PromptRef::Slot(Slot::CallbackNumber) => {
                    for key in super::definition::digit_keys() {
                        found.check(&key, None);
                    }
                }
                PromptRef::Slot(_) => {}
            }
        }
    }
}

/// Finds one node's prompts in the catalog, reporting each missing prompt
/// (or language of one) once.
struct Found<'a> {
    flow: &'a Flow,
    catalog: &'a Catalog,
    id: &'a str,
    reported: HashSet<String>,
    problems: &'a mut Vec<Problem>,
}

impl Found<'_> {
    fn check(&mut self, key: &PromptKey, language: Option<&Language>) {
        let id = self.id;
        if !self.catalog.contains(key) {
            if self.reported.insert(key.as_str().to_owned()) {
                self.problems.push(Problem::node(id, format!("prompt `{key}` is not in the prompt catalog")));
            }
            return;
        }
        let languages = language.map_or(self.flow.languages.as_slice(), std::slice::from_ref);
        for lang in languages {
            if self.catalog.text(key, lang).is_none() && self.reported.insert(format!("{key}@{lang}")) {
                self.problems.push(Problem::node(id, format!("prompt `{key}` has no `{lang}` text in the catalog")));
            }
        }
    }
}
