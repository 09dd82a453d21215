//! The shape of a list node's question, for joined recordings
//! (`questions.rs`): a page of names is checked for its shape, since the
//! order of the names changes with the helpline's callers.

use super::{
    definition::{Flow, ListOf, Node, PromptRef, name_key},
    questions::{Recorded, all_same, district_code, recorded, state_code},
};
use crate::{directory::Directory, domain::StateCode};

impl Flow {
    /// Whether `recordings` is a page of a list node's question
    /// (`list_node.rs`: `ask_list`): a lead, the node's prompts, one to a
    /// page of different names each with its key, then the keys after the
    /// names. Lists are read in an order that changes with the callers, so
    /// a page is checked for its shape, not looked up.
    pub(super) fn reads_list(&self, directory: &Directory, node: &Node, recordings: &[Recorded]) -> bool {
        let Node::List {
            of,
            prompts,
            item_prompts,
            more_prompts,
            options,
            back_prompts,
            key_prompts,
            short_key_prompts,
            input,
            ..
        } = node
        else {
            return false;
        };
        let per_page = super::list_node::per_page(options);
        let total = match of {
            ListOf::States => directory.states().count(),
            ListOf::Languages => self.languages.len(),
            ListOf::Districts => recordings
                .iter()
                .find_map(|(_, k)| district_code(k.as_str()))
                .and_then(|d| directory.district(d))
                .map_or(0, |d| directory.districts_of(d.state).count()),
        };
        let key = |n: usize| key_prompts.get(n);
        let short = |n: usize| short_key_prompts.get(n);
        let mut after: Vec<&PromptRef> = Vec::new();
        let mut keys: Vec<&char> = options.keys().collect();
        keys.sort_by_key(|k| if **k == '0' { 10 } else { k.to_digit(10).unwrap_or(11) });
        for k in keys {
            after.extend(options[k].prompts.iter().chain(k.to_digit(10).and_then(|n| short(n as usize))));
        }
        after.extend(back_prompts);
        // "More" is said when there is another page: a list longer than a
        // page, or languages whose first page is the caller's circle's.
        let more: Vec<&PromptRef> = more_prompts.iter().chain(short(9)).chain(after.iter().copied()).collect();
        // (the tail, whether the page must hold every name: a list of one page).
        let mut tails = Vec::new();
        if total > per_page || (*of == ListOf::Languages && total > 1) {
            tails.push((more, false));
        }
        if total <= per_page {
            tails.push((after, true));
        }
        self.languages.iter().any(|language| {
            [&[][..], &input.invalid_prompts, &input.timeout_prompts].into_iter().any(|lead| {
                let head = recorded(lead.iter().chain(prompts), language);
                let Some(mut rest) = recordings.strip_prefix(head.as_slice()) else { return false };
                let mut names = Vec::new();
                while names.len() < per_page {
                    let n = names.len() + 1;
                    let item = match of {
                        ListOf::Languages => self.languages.iter().find_map(|own| {
                            let line = recorded(item_prompts.iter().chain(key(n)), own);
                            rest.starts_with(&line).then(|| (own.as_str().to_owned(), line.len()))
                        }),
                        ListOf::States | ListOf::Districts => rest.split_first().and_then(|((l, k), _)| {
                            let code = match of {
                                ListOf::States => state_code(k.as_str()).map(|c| c.to_string()),
                                _ => district_code(k.as_str()).map(|c| c.to_string()),
                            };
                            let line: Vec<Recorded> = std::iter::once((l.clone(), k.clone()))
                                .chain(recorded(
                                    item_prompts.iter().chain(name_key(key_prompts, short_key_prompts, n)),
                                    language,
                                ))
                                .collect();
                            (l == language && rest.starts_with(&line)).then_some((code?, line.len()))
                        }),
                    };
                    let Some((name, len)) = item else { break };
                    if names.contains(&name) {
                        return false;
                    }
                    names.push(name);
                    rest = &rest[len..];
                }
                !names.is_empty()
                    && tails.iter().any(|(tail, all)| {
                        (!all || names.len() == total) && rest == recorded(tail.iter().copied(), language).as_slice()
                    })
                    && self.names_belong(directory, *of, &names)
            })
        })
    }

    /// Whether names read from a list exist, and a page of districts is all in one state.
    fn names_belong(&self, directory: &Directory, of: ListOf, names: &[String]) -> bool {
        match of {
            ListOf::Languages => true,
            ListOf::States => names.iter().all(|n| n.parse().ok().and_then(|c| directory.state(c)).is_some()),
            ListOf::Districts => {
                let states: Option<Vec<StateCode>> =
                    names.iter().map(|n| Some(directory.district(n.parse().ok()?)?.state)).collect();
                states.is_some_and(|s| all_same(&s))
            }
        }
    }
}
