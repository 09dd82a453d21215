//! What a flow's questions can play, as recordings: so that joined
//! recordings (`/prompts/sequence…`, one audio URL per question for
//! gateways that take only one) are made for lists a flow really asks, and
//! a stranger's list gets nothing.
//!
//! The engine asks a question (`machine.rs`: `ask`) with its node's prompts
//! after a lead, which is nothing (a first ask or a re-ask), the node's
//! invalid or timeout prompts (a retry), or the prompts of the play nodes
//! passed on the way in. A slot read back (`{home_district}`) plays the
//! state or district's recording (`state_<code>`, `district_<code>`), or
//! nothing while the slot is empty; a callback number (`{callback_number}`)
//! plays ten digits, `digit_0` … `digit_9`. Prompts are in the caller's language
//! unless pinned (`welcome@hi`).

use super::definition::{Flow, Node, PromptRef, Slot};
use crate::{
    directory::Directory,
    domain::{DistrictCode, Language, StateCode},
    prompts::PromptKey,
};

/// The states a list question reads, and the prompts after their names.
type Named<'a> = (Vec<StateCode>, Vec<&'a PromptRef>);

/// One recording in a list: its language and key.
pub type Recorded = (Language, PromptKey);

impl Flow {
    /// Whether one of this flow's questions plays exactly `recordings`, in
    /// this order, in one language.
    pub fn asks(&self, directory: &Directory, recordings: &[Recorded]) -> bool {
        if recordings.is_empty() {
            return false;
        }
        if self.lists().iter().any(|list| list == recordings) {
            return true;
        }
        if self.nodes.values().any(|node| self.reads_list(directory, node, recordings)) {
            return true;
        }
        if !one_place(directory, recordings) {
            return false;
        }
        let questions = self.questions();
        let languages = self.languages.iter().chain(std::iter::once(&self.default_language));
        languages.into_iter().any(|language| questions.iter().any(|refs| plays(directory, refs, language, recordings)))
    }

    /// Every offer a guess can read, as recordings, in every language, after
    /// each lead: the states a number's circle suggests (`machine.rs`: `ask`).
    fn lists(&self) -> Vec<Vec<Recorded>> {
        let mut lists = Vec::new();
        for node in self.nodes.values() {
            // The states read, the index in `keys` of the first one's key,
            // and the prompts after the names.
            let (input, keys, first_key, options): (_, _, usize, Vec<Named<'_>>) = match node {
                Node::GuessState { input, other_prompts, key_prompts, short_key_prompts, .. } => {
                    // As `machine.rs` says them: press_1, then key_2 … for the rest and "another".
                    let guesses = crate::directory::Numbering::bundled().possible_guesses();
                    let options = guesses
                        .into_iter()
                        .map(|g| {
                            let tail = other_prompts.iter().chain(short_key_prompts.get(g.len() + 1)).collect();
                            (g, tail)
                        })
                        .collect();
                    let keys: Vec<&PromptRef> =
                        key_prompts.first().into_iter().chain(short_key_prompts.iter().skip(2)).collect();
                    (input, keys, 0, options)
                }
                _ => continue,
            };
            for language in &self.languages {
                for lead in [&[][..], &input.invalid_prompts, &input.timeout_prompts] {
                    for (states, tail) in &options {
                        let mut list = recorded(lead.iter().chain(node.prompts()), language);
                        for (i, code) in states.iter().enumerate() {
                            list.extend(PromptKey::parse(&format!("state_{code}")).ok().map(|k| (language.clone(), k)));
                            list.extend(recorded(keys.get(i + first_key).copied(), language));
                        }
                        list.extend(recorded(tail.iter().copied(), language));
                        lists.push(list);
                    }
                }
            }
        }
        lists
    }

    /// Every list of prompt references a question can play, lead first.
    fn questions(&self) -> Vec<Vec<&PromptRef>> {
        let mut lists = Vec::new();
        for (id, node) in &self.nodes {
            let (Node::Menu { input, .. } | Node::Collect { input, .. } | Node::Confirm { input, .. }) = node else {
                continue;
            };
            let own: Vec<&PromptRef> = node.prompts().iter().collect();
            for lead in [&[][..], &input.invalid_prompts, &input.timeout_prompts] {
                lists.push(lead.iter().chain(own.iter().copied()).collect());
            }
            for start in self.nodes.keys() {
                if let Some(lead) = self.play_lead(start, id) {
                    lists.push(lead.into_iter().chain(own.iter().copied()).collect());
                }
            }
        }
        lists
    }

    /// The prompts of the play nodes from `start` until `target`, when
    /// `start` is a play node whose chain of play nodes leads there.
    fn play_lead(&self, start: &str, target: &str) -> Option<Vec<&PromptRef>> {
        let mut lead = Vec::new();
        let mut at = start;
        for _ in 0..self.nodes.len() {
            let Some(Node::Play { prompts, next }) = self.nodes.get(at) else { return None };
            lead.extend(prompts);
            if next == target {
                return Some(lead);
            }
            at = next;
        }
        None
    }
}

/// The catalog prompts among `refs` as recordings in `language` (or the
/// one a reference is pinned to).
pub(super) fn recorded<'a>(refs: impl IntoIterator<Item = &'a PromptRef>, language: &Language) -> Vec<Recorded> {
    refs.into_iter()
        .filter_map(|r| match r {
            PromptRef::Catalog { key, language: pinned } => {
                Some((pinned.clone().unwrap_or_else(|| language.clone()), key.clone()))
            }
            PromptRef::Slot(_) => None,
        })
        .collect()
}

/// Whether the references, in `language`, play exactly `recordings`.
fn plays(directory: &Directory, refs: &[&PromptRef], language: &Language, recordings: &[Recorded]) -> bool {
    let Some((first, rest)) = refs.split_first() else { return recordings.is_empty() };
    let next = recordings.first();
    match first {
        PromptRef::Catalog { key, language: pinned } => {
            let wanted = pinned.as_ref().unwrap_or(language);
            next.is_some_and(|(l, k)| l == wanted && k == key) && plays(directory, rest, language, &recordings[1..])
        }
        // A callback number read back: its ten digits, one recording each.
        PromptRef::Slot(Slot::CallbackNumber) => {
            let spelt = recordings.len() >= 10
                && recordings[..10].iter().all(|(l, k)| l == language && super::definition::digit_keys().contains(k));
            (spelt && plays(directory, rest, language, &recordings[10..]))
                || plays(directory, rest, language, recordings)
        }
        PromptRef::Slot(slot) => {
            let named = next.is_some_and(|(l, k)| l == language && names(directory, *slot, k));
            (named && plays(directory, rest, language, &recordings[1..]))
                || plays(directory, rest, language, recordings)
        }
    }
}

/// Whether `key` is the recording a slot reads back: a state's or a
/// district's name, spelt as the engine spells it.
fn names(directory: &Directory, slot: Slot, key: &PromptKey) -> bool {
    let key = key.as_str();
    match slot {
        Slot::HomeState => state_code(key).is_some_and(|code| directory.state(code).is_some()),
        Slot::HomeDistrict => district_code(key).is_some_and(|code| directory.district(code).is_some()),
        Slot::Language | Slot::Consent | Slot::Need | Slot::Pin | Slot::CallbackNumber => false,
    }
}

pub(super) fn state_code(key: &str) -> Option<StateCode> {
    let code = key.strip_prefix("state_")?.parse().ok()?;
    (key == format!("state_{code}")).then_some(code)
}

pub(super) fn district_code(key: &str) -> Option<DistrictCode> {
    let code = key.strip_prefix("district_")?.parse().ok()?;
    (key == format!("district_{code}")).then_some(code)
}

/// A call has one home state and one district, in that state.
fn one_place(directory: &Directory, recordings: &[Recorded]) -> bool {
    let keys = || recordings.iter().map(|(_, k)| k.as_str());
    let states: Vec<StateCode> = keys().filter_map(state_code).collect();
    let districts: Vec<DistrictCode> = keys().filter_map(district_code).collect();
    if !all_same(&states) || !all_same(&districts) {
        return false;
    }
    match (states.first(), districts.first().and_then(|d| directory.district(*d))) {
        (Some(state), Some(district)) => district.state == *state,
        _ => true,
    }
}

pub(super) fn all_same<T: PartialEq>(codes: &[T]) -> bool {
    codes.windows(2).all(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeSet, path::Path};

    use super::*;
    use crate::{
        domain::Digits,
        flow::{Action, CallEvent, VoiceMessage, start, step},
        prompts::{Catalog, recording_key},
    };

    fn catalog() -> Catalog {
        Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts")).unwrap()
    }

    fn flow_file(path: &str) -> Flow {
        let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
        Flow::parse(&source, Some(&catalog())).unwrap()
    }

    fn list(items: &[&str]) -> Vec<Recorded> {
        items
            .iter()
            .map(|item| {
                let (lang, key) = item.split_once('/').unwrap();
                (Language::parse(lang).unwrap(), PromptKey::parse(key).unwrap())
            })
            .collect()
    }

    fn recordings(prompts: &[crate::flow::Prompt]) -> Vec<Recorded> {
        prompts.iter().map(|p| (p.language().clone(), recording_key(p).unwrap())).collect()
    }

    /// Every question the engine asks on the way through `flow`, following
    /// every answer in `answers` (and silence) from every state reached.
    fn every_question(flow: &Flow, answers: &[&str]) -> BTreeSet<Vec<Recorded>> {
        let mut events: Vec<CallEvent> =
            answers.iter().map(|d| CallEvent::Digits { digits: Digits::parse(d).unwrap() }).collect();
        events.push(CallEvent::NoInput);
        events.push(CallEvent::Recorded {
            message: VoiceMessage { url: "https://rec.example/1".to_owned(), duration_secs: None },
        });
        let first = start(flow, Directory::bundled(), Vec::new()).unwrap();
        let mut seen = BTreeSet::new();
        let mut asked = BTreeSet::new();
        let mut todo = vec![first];
        while let Some(t) = todo.pop() {
            for action in &t.actions {
                if let Action::Gather { prompts, .. } = action {
                    asked.insert(recordings(prompts));
                }
            }
            if t.state.ended.is_some() || !seen.insert(serde_json::to_string(&t.state).unwrap()) {
                continue;
            }
            for event in &events {
                if let Ok(next) = step(flow, Directory::bundled(), &t.state, event) {
                    todo.push(next);
                }
            }
        }
        asked
    }

    #[test]
    fn every_question_the_default_flow_asks_is_one_it_asks() {
        let flow = flow_file("call_flows/helpline.toml");
        let asked = every_question(&flow, &["1", "2", "3", "4", "9", "19", "187", "305"]);
        assert!(asked.len() > 20, "the walk reached the questions: {}", asked.len());
        for question in &asked {
            assert!(flow.asks(Directory::bundled(), question), "{question:?}");
        }
        let readback = asked.iter().find(|q| q.iter().any(|(_, k)| k.as_str() == "district_187"));
        assert!(readback.is_some(), "a district was read back");
    }

    #[test]
    fn the_guess_and_every_page_of_the_state_list_are_asked_and_a_made_up_list_is_not() {
        let flow = flow_file("call_flows/helpline.toml");
        let directory = Directory::bundled();
        let guess = vec![StateCode::new(10).unwrap(), StateCode::new(20).unwrap()];
        let mut t = start(&flow, directory, guess).unwrap();
        for keys in ["1", "1"] {
            t = step(&flow, directory, &t.state, &CallEvent::Digits { digits: Digits::parse(keys).unwrap() }).unwrap();
        }
        let Some(Action::Gather { prompts, .. }) = t.actions.last() else { panic!("{:?}", t.actions) };
        let offer = recordings(prompts);
        assert!(flow.asks(directory, &offer), "the Bihar & Jharkhand guess: {offer:?}");
        let mut list = offer.clone();
        list.swap(1, 3);
        assert!(!flow.asks(directory, &list), "states its circle does not pair: {list:?}");
        let press = |t: &crate::flow::Transition, keys: &str| {
            step(&flow, directory, &t.state, &CallEvent::Digits { digits: Digits::parse(keys).unwrap() }).unwrap()
        };
        let mut page = press(&t, "3");
        for turn in 0..6 {
            assert_eq!((page.state.node.as_str(), usize::from(page.state.page)), ("state_list", turn % 5));
            let Some(Action::Gather { prompts, .. }) = page.actions.last() else { panic!("{:?}", page.actions) };
            assert!(flow.asks(directory, &recordings(prompts)), "page {}", page.state.page);
            page = press(&page, "9");
        }
    }

    #[test]
    fn a_list_no_question_plays_is_not_asked() {
        let flow = flow_file("call_flows/helpline.toml");
        let directory = Directory::bundled();
        let first = list(&["hi/welcome", "hi/language_option", "hi/press_1", "bn/language_option", "bn/press_2"]);
        let mut rest = Vec::new();
        for (n, lang) in ["or", "en", "bho", "mai", "ur", "ne"].iter().enumerate() {
            rest.extend(list(&[&format!("{lang}/language_option"), &format!("{lang}/press_{}", n + 3)]));
        }
        rest.extend(list(&["hi/more_languages", "hi/key_9"]));
        assert!(flow.asks(directory, &[first.clone(), rest.clone()].concat()), "the languages, each in its own");
        assert!(!flow.asks(directory, &first), "a question cut short");
        let mut swapped = [first.clone(), rest].concat();
        swapped.swap(2, 4);
        assert!(!flow.asks(directory, &swapped), "a key in another language");
        assert!(!flow.asks(directory, &list(&["hi/language_option", "hi/welcome"])), "another order");
        assert!(!flow.asks(directory, &list(&["hi/consent", "hi/consent"])), "a prompt twice");
        assert!(flow.asks(directory, &list(&["bn/invalid_choice", "bn/consent"])));
        assert!(!flow.asks(directory, &list(&["bn/invalid_choice", "hi/consent"])), "two languages");
        assert!(!flow.asks(directory, &list(&["hi/thanks"])), "last words are no question");
        assert!(!flow.asks(directory, &[]), "nothing");
    }

    #[test]
    fn a_read_back_names_one_district_in_its_own_state() {
        let flow = flow_file("call_flows/helpline.toml");
        let directory = Directory::bundled();
        let district = directory.district(DistrictCode::new(187).unwrap()).unwrap();
        let state = format!("hi/state_{}", district.state);
        let readback =
            |district: &str, state: &str| list(&["hi/district_readback", district, state, "hi/confirm_or_reenter"]);
        assert!(flow.asks(directory, &readback("hi/district_187", &state)));
        let elsewhere = directory.states().find(|s| s.code != district.state).unwrap().code;
        assert!(!flow.asks(directory, &readback("hi/district_187", &format!("hi/state_{elsewhere}"))));
        assert!(!flow.asks(directory, &readback("hi/district_9999", &state)), "no such district");
        assert!(!flow.asks(directory, &readback("hi/district_0187", &state)), "not as the engine spells it");
    }

    #[test]
    fn play_nodes_on_the_way_in_lead_the_question() {
        let source = r#"
            id = "t"
            start = "hello"
            languages = ["hi", "en"]
            default_language = "hi"
            [nodes.hello]
            kind = "play"
            prompts = ["welcome"]
            next = "consent_said"
            [nodes.consent_said]
            kind = "play"
            prompts = ["consent_declined"]
            next = "ask"
            [nodes.ask]
            kind = "menu"
            prompts = ["consent"]
            store = "consent"
            invalid_prompts = ["invalid_choice"]
            fallback = "end"
            options.1 = { value = "yes", next = "end" }
            options.2 = { value = "no", next = "consent_said" }
            [nodes.end]
            kind = "end"
        "#;
        let flow = Flow::parse(source, Some(&catalog())).unwrap();
        let asked = every_question(&flow, &["1", "2", "7"]);
        for question in &asked {
            assert!(flow.asks(Directory::bundled(), question), "{question:?}");
        }
        let directory = Directory::bundled();
        assert!(flow.asks(directory, &list(&["hi/welcome", "hi/consent_declined", "hi/consent"])));
        assert!(flow.asks(directory, &list(&["hi/consent_declined", "hi/consent"])));
        assert!(!flow.asks(directory, &list(&["hi/welcome", "hi/consent"])), "a play node skipped");
    }
}
