//! The directory of Indian states/UTs and districts with their official LGD codes.
//!
//! It ships inside the binary (`data/geo/`, see `data/geo/SOURCES.md`): 36
//! states/UTs and their districts from the Local Government Directory,
//! Ministry of Panchayati Raj (Government Open Data License – India), plus the
//! state names in every catalog language but English (which reads LGD's), and
//! the languages each state's people speak. District codes are unique across
//! India; district names are unique only within a state.

use std::{
    collections::{BTreeMap, HashMap},
    sync::OnceLock,
};

mod languages;
mod names;
mod numbering;
mod pins;

pub use languages::{StateLanguages, language_order};
pub use names::{Candidate, Candidates, MARGIN, Matched, SURE, spelling_key};
pub use numbering::{MAX_GUESSES, Numbering};
pub use pins::{PinCode, PinError, look_up_pin, pin_code};

use serde::Deserialize;

use crate::domain::{DistrictCode, Language, StateCode};

/// The states most migrant workers come from, most first (Census 2011
/// out-migration, and 2020's worker trains): Uttar Pradesh, Bihar, West
/// Bengal, Odisha, Jharkhand, Rajasthan, Madhya Pradesh, Assam.
pub const MIGRANT_STATES: [u8; 8] = [9, 10, 19, 21, 20, 8, 23, 18];

#[derive(Debug, Clone)]
pub struct State {
    pub code: StateCode,
    /// The English name as LGD spells it.
    pub name: String,
    /// Names in other languages, keyed by language code.
    pub local_names: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct District {
    pub code: DistrictCode,
    pub name: String,
    pub state: StateCode,
}

impl State {
    /// The state's name in `language`, falling back to the English LGD name.
    pub fn name_in(&self, language: &Language) -> &str {
        self.local_names.get(language.as_str()).map_or(&self.name, String::as_str)
    }
}

/// States and districts by code.
#[derive(Debug)]
pub struct Directory {
    states: BTreeMap<StateCode, State>,
    districts: HashMap<DistrictCode, District>,
}

#[derive(Deserialize)]
struct StateRow {
    lgd_state_code: StateCode,
    state_name: String,
}

#[derive(Deserialize)]
struct DistrictRow {
    lgd_district_code: DistrictCode,
    district_name: String,
    lgd_state_code: StateCode,
}

const STATES_CSV: &str = include_str!("../../data/geo/lgd_states.csv");
const DISTRICTS_CSV: &str = include_str!("../../data/geo/lgd_districts.csv");
const STATE_NAMES_CSV: &str = include_str!("../../data/geo/state_names.csv");

impl Directory {
    /// The directory shipped with Sampark, parsed once.
    pub fn bundled() -> &'static Directory {
        static BUNDLED: OnceLock<Directory> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            Self::from_csv(STATES_CSV, DISTRICTS_CSV, STATE_NAMES_CSV)
                .expect("the bundled directory is checked by its unit tests")
        })
    }

    /// Builds a directory from the three CSV files of `data/geo/`.
    pub fn from_csv(states: &str, districts: &str, state_names: &str) -> Result<Self, csv::Error> {
        let mut by_code = BTreeMap::new();
        for row in csv::Reader::from_reader(states.as_bytes()).deserialize::<StateRow>() {
            let row = row?;
            let state = State { code: row.lgd_state_code, name: row.state_name, local_names: HashMap::new() };
            by_code.insert(state.code, state);
        }
        Self::add_local_names(&mut by_code, state_names)?;
        let mut district_map = HashMap::new();
        for row in csv::Reader::from_reader(districts.as_bytes()).deserialize::<DistrictRow>() {
            let row = row?;
            let district = District { code: row.lgd_district_code, name: row.district_name, state: row.lgd_state_code };
            district_map.insert(district.code, district);
        }
        Ok(Self { states: by_code, districts: district_map })
    }

    fn add_local_names(states: &mut BTreeMap<StateCode, State>, csv_text: &str) -> Result<(), csv::Error> {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let languages: Vec<String> = reader.headers()?.iter().skip(1).map(str::to_owned).collect();
        for record in reader.records() {
            let record = record?;
            let code = record.get(0).and_then(|c| StateCode::parse(c).ok());
            let Some(state) = code.and_then(|c| states.get_mut(&c)) else {
                continue;
            };
            for (language, name) in languages.iter().zip(record.iter().skip(1)) {
                if !name.is_empty() {
                    state.local_names.insert(language.clone(), name.to_owned());
                }
            }
        }
        Ok(())
    }

    pub fn state(&self, code: StateCode) -> Option<&State> {
        self.states.get(&code)
    }

    pub fn district(&self, code: DistrictCode) -> Option<&District> {
        self.districts.get(&code)
    }

    pub fn states(&self) -> impl Iterator<Item = &State> {
        self.states.values()
    }

    /// Every state in the order a list of names offers them: the states
    /// most migrant workers come from ([`MIGRANT_STATES`]) first, then the
    /// rest by name.
    pub fn menu_order(&self) -> Vec<StateCode> {
        let mut order: Vec<StateCode> = MIGRANT_STATES
            .iter()
            .filter_map(|c| StateCode::new(*c).ok())
            .filter(|c| self.state(*c).is_some())
            .collect();
        let mut rest: Vec<&State> = self.states().filter(|s| !order.contains(&s.code)).collect();
        rest.sort_by(|a, b| a.name.cmp(&b.name));
        order.extend(rest.into_iter().map(|s| s.code));
        order
    }

    /// A state's districts, in no particular order.
    pub fn districts_of(&self, state: StateCode) -> impl Iterator<Item = &District> {
        self.districts.values().filter(move |d| d.state == state)
    }

    pub fn district_count(&self) -> usize {
        self.districts.len()
    }

    /// Reads keyed digits as a state code: `9` and `09` are both Uttar Pradesh.
    pub fn state_from_digits(&self, digits: &str) -> Option<&State> {
        StateCode::parse(digits).ok().and_then(|c| self.state(c))
    }

    /// Reads keyed digits as a district code. With a state, the district must
    /// belong to it; without one, any district in India is accepted.
    pub fn district_from_digits(&self, digits: &str, state: Option<StateCode>) -> Option<&District> {
        let district = DistrictCode::parse(digits).ok().and_then(|c| self.district(c))?;
        state.is_none_or(|s| s == district.state).then_some(district)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_directory_has_every_state_and_district() {
        let dir = Directory::bundled();
        assert_eq!(dir.states().count(), 36);
        assert_eq!(dir.district_count(), 786, "784 from LGD 2026 plus Mahe and Yanam");
        let catalog = crate::prompts::Catalog::built_in();
        let languages: Vec<&Language> = catalog.languages().filter(|l| l.as_str() != "en").collect();
        assert!(languages.len() >= 16, "{languages:?}");
        for state in dir.states() {
            for language in &languages {
                let name = state.local_names.get(language.as_str());
                assert!(name.is_some_and(|n| !n.trim().is_empty()), "{} lacks a {language} name", state.name);
                assert_ne!(
                    name.map(String::as_str),
                    Some(state.name.as_str()),
                    "{}: {language} is not English",
                    state.name
                );
            }
        }
    }

    #[test]
    fn state_codes_ignore_leading_zeros() {
        let dir = Directory::bundled();
        assert_eq!(dir.state_from_digits("09").unwrap().name, "Uttar Pradesh");
        assert_eq!(dir.state_from_digits("9").unwrap().code.get(), 9);
        assert!(dir.state_from_digits("25").is_none(), "25 was merged into 38 in 2020");
        assert!(dir.state_from_digits("").is_none());
        assert!(dir.state_from_digits("1*").is_none());
    }

    #[test]
    fn a_district_must_belong_to_the_given_state() {
        let dir = Directory::bundled();
        let state = |code| Some(StateCode::new(code).unwrap());
        let patna = dir.district_from_digits("212", state(10)).expect("Patna is LGD 212 in Bihar");
        assert_eq!(patna.name, "Patna");
        assert!(dir.district_from_digits("212", state(9)).is_none());
        assert!(dir.district_from_digits("212", None).is_some());
        assert!(dir.district_from_digits("999", None).is_none());
    }
}
