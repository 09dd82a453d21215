//! Which of the catalog's languages the people of each state speak, most
//! first, and the order a language menu offers them in for a caller whose
//! number suggests some states: their languages first (a Bihar number hears
//! Hindi, Bhojpuri, Maithili, Urdu), then the rest as the flow lists them.
//!
//! The table ships inside the binary (`data/geo/state_languages.csv`, from
//! the Census 2011 language tables, see `data/geo/SOURCES.md`). It is a
//! guess at what a caller understands best, for ordering a menu; it never
//! picks a language for the caller.

use std::{collections::BTreeMap, sync::OnceLock};

use serde::Deserialize;

use super::Directory;
use crate::domain::{Language, StateCode};

const STATE_LANGUAGES_CSV: &str = include_str!("../../data/geo/state_languages.csv");

/// Per state, its people's languages, most speakers first.
#[derive(Debug, Default)]
pub struct StateLanguages {
    by_state: BTreeMap<StateCode, Vec<Language>>,
}

#[derive(Deserialize)]
struct Row {
    lgd_state_code: StateCode,
    languages: String,
}

impl StateLanguages {
    /// The table shipped with Sampark, parsed once.
    pub fn bundled() -> &'static StateLanguages {
        static BUNDLED: OnceLock<StateLanguages> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            Self::from_csv(STATE_LANGUAGES_CSV).expect("the bundled state languages are checked by their unit tests")
        })
    }

    /// Reads `lgd_state_code,…,languages` rows, the languages `;`-separated.
    /// A malformed code, a language twice in a row or a state twice is an error.
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut by_state = BTreeMap::new();
        for row in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>() {
            let row = row.map_err(|e| e.to_string())?;
            let mut languages: Vec<Language> = Vec::new();
            for code in row.languages.split(';').map(str::trim).filter(|c| !c.is_empty()) {
                let language = Language::parse(code).map_err(|e| format!("state {}: {e}", row.lgd_state_code))?;
                if languages.contains(&language) {
                    return Err(format!("state {}: `{language}` twice", row.lgd_state_code));
                }
                languages.push(language);
            }
            if by_state.insert(row.lgd_state_code, languages).is_some() {
                return Err(format!("state {} twice", row.lgd_state_code));
            }
        }
        Ok(Self { by_state })
    }

    /// The state's languages, most speakers first; empty for a state the
    /// table lacks.
    pub fn languages_for(&self, state: StateCode) -> &[Language] {
        self.by_state.get(&state).map_or(&[], Vec::as_slice)
    }

    /// `offered` reordered for a caller whose number suggests the states
    /// `guess`, most likely first: each guessed state's languages in turn
    /// (those the flow offers), then the rest of `offered` in its own
    /// order. Every offered language once; nothing the flow does not offer.
    pub fn order(&self, guess: &[StateCode], offered: &[Language]) -> Vec<Language> {
        let guessed = guess.iter().flat_map(|state| self.languages_for(*state));
        let mut order: Vec<Language> = Vec::with_capacity(offered.len());
        for language in guessed.chain(offered) {
            if offered.contains(language) && !order.contains(language) {
                order.push(language.clone());
            }
        }
        order
    }

    /// Every state in the table.
    pub fn states(&self) -> impl Iterator<Item = StateCode> + '_ {
        self.by_state.keys().copied()
    }
}

impl Directory {
    /// The shipped table's languages for `state`, most speakers first.
    pub fn languages_for(&self, state: StateCode) -> &'static [Language] {
        StateLanguages::bundled().languages_for(state)
    }
}

/// The flow's `offered` languages in the order a caller whose number
/// suggests the states `guess` hears them (the shipped table; see
/// [`StateLanguages::order`]).
pub fn language_order(guess: &[StateCode], offered: &[Language]) -> Vec<Language> {
    StateLanguages::bundled().order(guess, offered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::Catalog;

    fn langs(codes: &str) -> Vec<Language> {
        codes.split_whitespace().map(|c| Language::parse(c).unwrap()).collect()
    }

    fn state(code: u8) -> StateCode {
        StateCode::new(code).unwrap()
    }

    /// The order the flow lists its languages in (the catalog's, issue 12).
    fn offered() -> Vec<Language> {
        langs("hi bn or en as bho mai sat ne ur mr gu pa ta te kn ml")
    }

    #[test]
    fn every_state_has_languages_and_every_one_is_a_catalog_language() {
        let table = StateLanguages::bundled();
        let catalog = Catalog::built_in();
        for s in Directory::bundled().states() {
            let languages = table.languages_for(s.code);
            assert!(!languages.is_empty(), "{} has no languages", s.name);
            for language in languages {
                assert!(catalog.language(language).is_some(), "{}: `{language}` is not in the catalog", s.name);
            }
        }
        assert_eq!(table.states().count(), 36, "no row for a state LGD does not have");
    }

    #[test]
    fn a_bihar_number_hears_hindi_bhojpuri_maithili_urdu_first() {
        assert_eq!(Directory::bundled().languages_for(state(10)), langs("hi bho mai ur"));
        let order = language_order(&[state(10)], &offered());
        assert_eq!(order[..4], langs("hi bho mai ur"));
        assert_eq!(order[4..], langs("bn or en as sat ne mr gu pa ta te kn ml"), "then the flow's order");
    }

    #[test]
    fn several_guessed_states_come_in_turn_without_repeats() {
        // Bihar and Jharkhand share a telecom circle.
        let order = language_order(&[state(10), state(20)], &offered());
        assert_eq!(order[..9], langs("hi bho mai ur sat bn or en as"));
        assert_eq!(order.len(), offered().len());
        let mut unique = order.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), order.len(), "no duplicates: {order:?}");
    }

    #[test]
    fn only_offered_languages_are_ordered() {
        let four = langs("hi bn or en");
        assert_eq!(language_order(&[state(10)], &four), four, "Bihar's other languages are not offered");
        assert_eq!(language_order(&[state(19)], &four), langs("bn hi or en"));
        assert_eq!(language_order(&[state(21)], &four), langs("or hi bn en"));
        assert_eq!(language_order(&[], &four), four, "no guess: the flow's order");
        assert_eq!(language_order(&[state(33)], &langs("hi en ta")), langs("ta hi en"));
    }

    #[test]
    fn a_state_the_table_lacks_changes_nothing() {
        let table = StateLanguages::from_csv("lgd_state_code,languages\n10,hi;bho\n").unwrap();
        assert_eq!(table.order(&[state(19), state(10)], &langs("en bho hi")), langs("hi bho en"));
        assert!(table.languages_for(state(19)).is_empty());
    }

    #[test]
    fn malformed_rows_are_refused() {
        for bad in ["10,hi;HI1", "10,hi;hi", "10,hi\n10,bn", "x,hi"] {
            let text = format!("lgd_state_code,languages\n{bad}\n");
            assert!(StateLanguages::from_csv(&text).is_err(), "{bad}");
        }
    }
}
