//! Compiling a parsed flow file into typed nodes, collecting every problem
//! on the way rather than stopping at the first.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{CollectDef, ConfirmDef, FlowFile, GuessDef, InputDef, ListDef, MenuDef, NodeDef, RecordDef};
use crate::{
    domain::Language,
    flow::{
        check::Problem,
        definition::{Choice, Flow, InputPolicy, ListOf, ListOption, Node, PromptRef, Slot, SlotValue},
    },
    prompts::PromptKey,
};

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
                "pin" => Some(PromptRef::Slot(Slot::Pin)),
                "callback_number" => Some(PromptRef::Slot(Slot::CallbackNumber)),
                _ => {
                    self.problem(format!(
                        "prompt `{text}`: only {{home_state}}, {{home_district}}, {{pin}} (its post office) and {{callback_number}} can be read back"
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
            back: def.back,
        }
    }

    fn node(&mut self, def: NodeDef) -> Node {
        match def {
            NodeDef::Menu(def) => self.menu(def),
            NodeDef::GuessState(def) => self.guess(def),
            NodeDef::List(def) => self.list(def),
            NodeDef::Collect(def) => self.collect(def),
            NodeDef::Confirm(def) => self.confirm(def),
            NodeDef::Record(def) => self.record(def),
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

    fn guess(&mut self, def: GuessDef) -> Node {
        self.unknown_keys(&def.unknown);
        // One key per state a circle can offer, and one for another state.
        let keys: Vec<String> = (1..=crate::directory::MAX_GUESSES + 1).map(|n| format!("press_{n}")).collect();
        let short: Vec<String> = (0..=crate::directory::MAX_GUESSES + 1).map(|n| format!("key_{n}")).collect();
        Node::GuessState {
            prompts: self.prompts(&def.prompts),
            other_prompts: self.prompts(&def.other_prompts),
            key_prompts: self.prompts(&keys),
            short_key_prompts: self.prompts(&short),
            next: def.next,
            other: def.other,
            input: self.input(def.input, Some(Slot::HomeState)),
        }
    }

    fn list(&mut self, def: ListDef) -> Node {
        self.unknown_keys(&def.unknown);
        let keys: Vec<String> = (0..=9).map(|n| format!("press_{n}")).collect();
        let mut options = BTreeMap::new();
        for (key, option) in def.options {
            let Some(key) = self.key("option", &key) else { continue };
            if key == '9' || !key.is_ascii_digit() {
                self.problem(format!("option {key}: 9 turns the page and * goes back; options take 0 and 8, 7, …"));
            }
            options.insert(key, ListOption { prompts: self.prompts(&option.prompts), next: option.next });
        }
        // Names take the keys from 1 up, options the keys from 8 down.
        let taken: Vec<u32> = options.keys().filter_map(|k| k.to_digit(10)).filter(|k| (1..=8).contains(k)).collect();
        if taken.iter().any(|k| !(*k..=8).all(|above| taken.contains(&above))) {
            self.problem("options on keys 1-8 must take the top keys (8, then 7, …) so names keep 1, 2, …".to_owned());
        }
        if def.of == ListOf::Languages && def.item_prompts.is_empty() {
            self.problem(
                "a list of languages needs `item_prompts` (e.g. `language_option`): each said in its language"
                    .to_owned(),
            );
        }
        let empty = match (def.empty, def.of) {
            (Some(empty), _) => empty,
            (None, ListOf::Districts) => {
                self.problem(
                    "a list of districts needs `empty`: where a caller whose state is unknown goes".to_owned(),
                );
                def.next.clone()
            }
            (None, _) => def.next.clone(),
        };
        Node::List {
            of: def.of,
            prompts: self.prompts(&def.prompts),
            item_prompts: self.prompts(&def.item_prompts),
            more_prompts: self.prompts(&def.more_prompts),
            options,
            back_prompts: self.prompts(&def.back_prompts),
            key_prompts: self.prompts(&keys),
            short_key_prompts: self.prompts(&(0..=9).map(|n| format!("key_{n}")).collect::<Vec<_>>()),
            next: def.next,
            empty,
            input: self.input(def.input, Some(def.of.slot())),
        }
    }

    fn record(&mut self, def: RecordDef) -> Node {
        let place = match def.store.as_deref() {
            None | Some("message") => false,
            Some("place") => true,
            Some(other) => {
                self.problem(format!("a record node stores `message` or `place`, not `{other}`"));
                false
            }
        };
        Node::Record {
            prompts: self.prompts(&def.prompts),
            place,
            max_length_secs: def.max_length_secs,
            silence_secs: def.silence_secs,
            finish_key: self.finish_key(&def.finish_key),
            next: def.next,
        }
    }

    fn collect(&mut self, def: CollectDef) -> Node {
        self.unknown_keys(&def.unknown);
        if !matches!(def.store, Slot::HomeState | Slot::HomeDistrict | Slot::Pin | Slot::CallbackNumber) {
            self.problem(format!("a collect node cannot store into `{}`", def.store.as_str()));
        }
        if def.store == Slot::CallbackNumber && (def.min_digits, def.max_digits) != (10, 10) {
            self.problem(format!(
                "callback_number is the ten digits of a mobile number: min_digits and max_digits must be 10, not {}..{}",
                def.min_digits, def.max_digits
            ));
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

pub(super) fn compile(file: FlowFile, source: &str, problems: &mut Vec<Problem>) -> Option<Flow> {
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
