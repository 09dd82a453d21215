//! The engine's list node (`machine.rs` walks the rest): a page of names
//! read out, the options after them, and a key pressed.

use std::collections::BTreeMap;

use super::{
    definition::{ListOf, ListOption, Node, name_key},
    lists::{self, Paging},
    machine::{Failure, FlowError, Walker},
    model::{Action, CallState},
    slots::choose_state,
};
use crate::{
    domain::{Digits, DistrictCode, Language, StateCode},
    prompts::Prompt,
};

/// The key that turns the page.
const MORE: u32 = 9;

/// The most languages of the caller's circle on the first page: a short
/// page most callers answer at once (a Bihar number: Hindi, Bhojpuri,
/// Maithili, Urdu), the rest after 9.
const FIRST_LANGUAGES: usize = 4;

impl Walker<'_> {
    /// Everything a list offers, in the order it reads them.
    pub(super) fn items(&self, of: ListOf, state: &CallState) -> Vec<u16> {
        match of {
            ListOf::States => lists::state_order(self.directory, self.ranking),
            ListOf::Districts => state
                .data
                .home_state
                .map(|s| lists::district_order(self.directory, self.ranking, s))
                .unwrap_or_default(),
            ListOf::Languages => self.languages(state).0,
        }
    }

    /// The flow's languages in the order offered: those spoken where the
    /// caller's number comes from first; and how many those are.
    fn languages(&self, state: &CallState) -> (Vec<u16>, usize) {
        let order = crate::directory::language_order(&state.guess, &self.flow.languages);
        let spoken_there = |l: &&Language| state.guess.iter().any(|s| self.directory.languages_for(*s).contains(l));
        let preferred = order.iter().take_while(spoken_there).count().min(FIRST_LANGUAGES);
        let index = |l: &Language| self.flow.languages.iter().position(|f| f == l).and_then(|i| u16::try_from(i).ok());
        (order.iter().filter_map(index).collect(), preferred)
    }

    /// How the current list is cut into pages: the languages of the
    /// caller's circle make a first page of their own.
    pub(super) fn paging(&self, of: ListOf, options: &BTreeMap<char, ListOption>, state: &CallState) -> Paging {
        let per_page = per_page(options);
        match of {
            ListOf::Languages => match self.languages(state).1 {
                0 => Paging::even(per_page),
                first => Paging { first, per_page },
            },
            ListOf::States | ListOf::Districts => Paging::even(per_page),
        }
    }

    /// Reads the page `state.page` of the current list node after `lead`,
    /// and keeps what it offered.
    pub(super) fn ask_list(&self, state: &mut CallState, mut prompts: Vec<Prompt>) -> Result<Vec<Action>, FlowError> {
        let Node::List {
            of,
            item_prompts,
            more_prompts,
            options,
            back_prompts,
            key_prompts,
            short_key_prompts,
            input,
            empty,
            ..
        } = self.node(&state.node)?
        else {
            return Err(FlowError::UnknownNode(state.node.clone()));
        };
        let items = self.items(*of, state);
        if items.is_empty() {
            return self.enter(state, &empty.clone(), prompts);
        }
        let paging = self.paging(*of, options, state);
        let on_page = paging.page(&items, state.page).to_vec();
        let language = self.language(&state.data);
        let key = |n: usize| key_prompts.get(n).map(std::slice::from_ref).unwrap_or_default();
        // After the names, "press" has been said: the options' keys alone.
        let short = |n: usize| short_key_prompts.get(n).map(std::slice::from_ref).unwrap_or_default();
        for (i, item) in on_page.iter().enumerate() {
            match of {
                ListOf::States => prompts.extend(
                    StateCode::new(u8::try_from(*item).unwrap_or(0))
                        .ok()
                        .map(|code| Prompt::StateName { code, language: language.clone() }),
                ),
                ListOf::Districts => prompts.extend(
                    DistrictCode::new(*item).ok().map(|code| Prompt::DistrictName { code, language: language.clone() }),
                ),
                ListOf::Languages => {
                    // Each language's line in that language, its key too.
                    let mut own = state.data.clone();
                    own.language = self.flow.languages.get(usize::from(*item)).cloned();
                    prompts.extend(self.resolve(&own, item_prompts));
                    prompts.extend(self.resolve(&own, key(i + 1)));
                    continue;
                }
            }
            prompts.extend(self.resolve(&state.data, item_prompts));
            let said = name_key(key_prompts, short_key_prompts, i + 1);
            prompts.extend(self.resolve(&state.data, said.map(std::slice::from_ref).unwrap_or_default()));
        }
        if paging.pages(items.len()) > 1 {
            prompts.extend(self.resolve(&state.data, more_prompts));
            prompts.extend(self.resolve(&state.data, short(MORE as usize)));
        }
        // The options in key order, 0 last: "PIN code, 8 … not in the list, 0".
        let mut keys: Vec<&char> = options.keys().collect();
        keys.sort_by_key(|k| if **k == '0' { 10 } else { k.to_digit(10).unwrap_or(11) });
        for k in keys {
            prompts.extend(self.resolve(&state.data, &options[k].prompts));
            let n = k.to_digit(10).and_then(|n| usize::try_from(n).ok()).unwrap_or(usize::MAX);
            prompts.extend(self.resolve(&state.data, short(n)));
        }
        prompts.extend(self.resolve(&state.data, back_prompts));
        state.offered = on_page;
        Ok(vec![Action::Gather { prompts, max_digits: 1, finish_key: None, timeout_secs: input.timeout_secs }])
    }

    /// A key pressed at a list: a name on the page heard, the next page,
    /// or an option.
    pub(super) fn list_key(&self, state: &mut CallState, digits: &Digits) -> Result<Vec<Action>, FlowError> {
        let Node::List { of, options, next, .. } = self.node(&state.node)? else {
            return Err(FlowError::UnknownNode(state.node.clone()));
        };
        let Some(key) = digits.single_key() else { return self.fail(state, Failure::Invalid) };
        if let Some(option) = options.get(&key) {
            return self.enter(state, &option.next.clone(), Vec::new());
        }
        let items = self.items(*of, state);
        let pages = self.paging(*of, options, state).pages(items.len());
        match key.to_digit(10) {
            Some(MORE) if pages > 1 => {
                state.page = u8::try_from((usize::from(state.page) + 1) % pages).unwrap_or(0);
                state.attempts = 0;
                self.ask(state, Vec::new())
            }
            Some(k) if k >= 1 && (k as usize) <= state.offered.len() => {
                let item = state.offered[k as usize - 1];
                if !self.choose(*of, state, item) {
                    return self.fail(state, Failure::Invalid);
                }
                self.enter(state, &next.clone(), Vec::new())
            }
            _ => self.fail(state, Failure::Invalid),
        }
    }

    /// Puts a name chosen in its slot; false if it is no longer one (a
    /// stored state from another version of the data).
    fn choose(&self, of: ListOf, state: &mut CallState, item: u16) -> bool {
        match of {
            ListOf::States => match u8::try_from(item).ok().and_then(|c| StateCode::new(c).ok()) {
                Some(code) if self.directory.state(code).is_some() => {
                    choose_state(&mut state.data, code);
                    true
                }
                _ => false,
            },
            ListOf::Districts => {
                let Some(district) = DistrictCode::new(item).ok().and_then(|c| self.directory.district(c)) else {
                    return false;
                };
                state.data.home_district = Some(district.code);
                state.data.home_state = Some(district.state);
                true
            }
            ListOf::Languages => match self.flow.languages.get(usize::from(item)) {
                Some(language) => {
                    state.data.language = Some(language.clone());
                    true
                }
                None => false,
            },
        }
    }
}

/// Names a page holds: the keys 1–8 the options leave.
pub(super) fn per_page(options: &BTreeMap<char, ListOption>) -> usize {
    8 - options.keys().filter(|k| matches!(k.to_digit(10), Some(1..=8))).count()
}
