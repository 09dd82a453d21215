//! State and district names as lists and typed answers spell them, to LGD
//! codes: in Latin, Devanagari, Bengali or Odia script (transliterated with
//! `any_ascii`), misspelt ("Uttar Pardesh", "Jounpur"), abbreviated ("U.P."),
//! or by an earlier name ("Orissa", "Allahabad"; `data/geo/place_aliases.csv`
//! and LGD's `other_names`). Each candidate carries a confidence; only a
//! clear one is [`sure`](Candidates::sure), the rest are for a person to pick.

use std::{collections::HashMap, sync::OnceLock};

use serde::Deserialize;

use super::Directory;
use crate::domain::{DistrictCode, StateCode};

/// A candidate at least this confident, and clear of the next one by
/// [`MARGIN`], is taken without asking anyone.
pub const SURE: f64 = 0.93;
/// How far ahead of the runner-up a sure candidate must be.
pub const MARGIN: f64 = 0.04;

/// How a name was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Matched {
    /// A coordinator picked the place for this spelling (`places::PlaceStore`).
    Picked,
    /// The same letters as a name the place has (after transliteration).
    Exactly,
    /// Close in spelling or in its consonants.
    Closely,
}

/// One place a name may mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<C> {
    pub code: C,
    /// 0 to 1: how alike the text and the place's closest name are.
    pub confidence: f64,
    pub matched: Matched,
    /// The place's name that matched (its LGD name, a local or earlier name).
    pub name: String,
}

/// The places a name may mean, most likely first.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidates<C>(pub Vec<Candidate<C>>);

impl<C: Copy> Candidates<C> {
    /// The one place the text clearly names, if it does.
    pub fn sure(&self) -> Option<C> {
        let first = self.0.first()?;
        let second = self.0.get(1).map_or(0.0, |c| c.confidence);
        (first.confidence >= SURE && first.confidence - second >= MARGIN).then_some(first.code)
    }

    pub fn best(&self) -> Option<&Candidate<C>> {
        self.0.first()
    }
}

#[derive(Deserialize)]
struct AliasRow {
    kind: String,
    lgd_code: u16,
    alias: String,
}

#[derive(Deserialize)]
struct DistrictNames {
    lgd_district_code: DistrictCode,
    other_names: String,
}

const ALIASES_CSV: &str = include_str!("../../data/geo/place_aliases.csv");
const DISTRICTS_CSV: &str = include_str!("../../data/geo/lgd_districts.csv");

/// Each place's other names: state aliases, and district aliases with LGD's other names.
type OtherNames = (HashMap<StateCode, Vec<String>>, HashMap<DistrictCode, Vec<String>>);

fn other_names() -> &'static OtherNames {
    static NAMES: OnceLock<OtherNames> = OnceLock::new();
    NAMES.get_or_init(|| {
        let (mut states, mut districts): (HashMap<_, Vec<_>>, HashMap<_, Vec<_>>) = Default::default();
        for row in csv::Reader::from_reader(ALIASES_CSV.as_bytes()).deserialize::<AliasRow>().flatten() {
            match row.kind.as_str() {
                "state" => {
                    if let Ok(code) =
                        u8::try_from(row.lgd_code).map_err(|_| ()).and_then(|c| StateCode::new(c).map_err(|_| ()))
                    {
                        states.entry(code).or_default().push(row.alias);
                    }
                }
                _ => {
                    if let Ok(code) = DistrictCode::new(row.lgd_code) {
                        districts.entry(code).or_default().push(row.alias);
                    }
                }
            }
        }
        for row in csv::Reader::from_reader(DISTRICTS_CSV.as_bytes()).deserialize::<DistrictNames>().flatten() {
            let names = row.other_names.split([';', '|']).map(str::trim).filter(|n| !n.is_empty());
            districts.entry(row.lgd_district_code).or_default().extend(names.map(str::to_owned));
        }
        (states, districts)
    })
}

impl Directory {
    /// The states `text` may name, most likely first (at most five).
    pub fn match_state(&self, text: &str) -> Candidates<StateCode> {
        let aliases = &other_names().0;
        let places = self.states().map(|state| {
            let names = std::iter::once(state.name.as_str())
                .chain(state.local_names.values().map(String::as_str))
                .chain(aliases.get(&state.code).into_iter().flatten().map(String::as_str));
            (state.code, names.collect::<Vec<_>>())
        });
        rank(text, places)
    }

    /// The districts `text` may name, in `state` when it is known, most
    /// likely first (at most five).
    pub fn match_district(&self, text: &str, state: Option<StateCode>) -> Candidates<DistrictCode> {
        let aliases = &other_names().1;
        let places = self.districts.values().filter(|d| state.is_none_or(|s| d.state == s)).map(|district| {
            let names = std::iter::once(district.name.as_str())
                .chain(aliases.get(&district.code).into_iter().flatten().map(String::as_str));
            (district.code, names.collect::<Vec<_>>())
        });
        rank(text, places)
    }
}

fn rank<'a, C: Copy>(text: &str, places: impl Iterator<Item = (C, Vec<&'a str>)>) -> Candidates<C> {
    let query = Spelling::of(text);
    if query.folded.is_empty() {
        return Candidates(Vec::new());
    }
    let mut found: Vec<Candidate<C>> = places
        .filter_map(|(code, names)| {
            names
                .into_iter()
                .map(|name| {
                    let (confidence, matched) = query.likeness(&Spelling::of(name));
                    Candidate { code, confidence, matched, name: name.to_owned() }
                })
                .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        })
        .collect();
    found.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.matched.cmp(&b.matched)));
    found.truncate(5);
    Candidates(found)
}

/// The form a text is compared and remembered in: Latin letters, lower
/// case, one spelling of sounds written several ways, words by single
/// spaces ("U.P." and "u p" are one spelling).
pub fn spelling_key(text: &str) -> String {
    Spelling::of(text).folded
}

/// A name folded for comparing: Latin letters, lower case, sounds that
/// lists spell several ways written one way; and its consonants.
struct Spelling {
    folded: String,
    consonants: String,
}

impl Spelling {
    fn of(text: &str) -> Self {
        // any_ascii writes a nukta (ज़, ड़) as an apostrophe: part of the letter.
        let latin = any_ascii::any_ascii(text).to_lowercase().replace('\'', "");
        let words: Vec<String> =
            latin.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(fold_sounds).collect();
        let folded = words.join(" ");
        let consonants = words.iter().map(|w| consonants(w)).collect::<Vec<_>>().join("");
        Self { folded, consonants }
    }

    /// How alike two names are: 1 for the same letters; else their
    /// spellings' Jaro-Winkler likeness, raised halfway to their consonants'
    /// (vowels are what transliteration and misspelling change most:
    /// "ptna", "Jounpur").
    fn likeness(&self, other: &Spelling) -> (f64, Matched) {
        if self.folded == other.folded
            || (!self.consonants.is_empty() && self.folded.replace(' ', "") == other.folded.replace(' ', ""))
        {
            return (1.0, Matched::Exactly);
        }
        let spelt = strsim::jaro_winkler(&self.folded, &other.folded);
        // The consonants only help a spelling that is close already: "Peren"
        // has Purnia's consonants, not its look.
        let sounded = if self.consonants.len() >= 2 && other.consonants.len() >= 2 {
            (spelt + strsim::jaro_winkler(&self.consonants, &other.consonants)) / 2.0
        } else {
            0.0
        };
        (spelt.max(sounded).min(0.99), Matched::Closely)
    }
}

/// One way of writing sounds that lists write several ways.
fn fold_sounds(word: &str) -> String {
    const PAIRS: [(&str, &str); 14] = [
        ("ph", "f"),
        ("sh", "s"),
        ("kh", "k"),
        ("gh", "g"),
        ("th", "t"),
        ("dh", "d"),
        ("bh", "b"),
        ("ch", "c"),
        ("jh", "j"),
        ("w", "v"),
        ("z", "j"),
        ("q", "k"),
        ("ee", "i"),
        ("oo", "u"),
    ];
    let mut word = word.to_owned();
    for (from, to) in PAIRS {
        word = word.replace(from, to);
    }
    word.replace('y', "i")
}

/// A word's first letter and its consonants after it, doubles once.
fn consonants(word: &str) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if (i > 0 && "aeiou".contains(c)) || out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(text: &str) -> Option<u8> {
        Directory::bundled().match_state(text).sure().map(StateCode::get)
    }

    fn district(text: &str, in_state: Option<u8>) -> Option<u16> {
        let state = in_state.map(|s| StateCode::new(s).unwrap());
        Directory::bundled().match_district(text, state).sure().map(DistrictCode::get)
    }

    #[test]
    fn states_as_lists_spell_them() {
        for (text, code) in [
            ("Uttar Pradesh", 9),
            ("UTTAR PRADESH", 9),
            ("U.P.", 9),
            ("up", 9),
            ("Uttar Pardesh", 9),
            ("उत्तर प्रदेश", 9),
            ("Bihar", 10),
            ("बिहार", 10),
            ("Orissa", 21),
            ("ওড়িশা", 21),
            ("ଓଡ଼ିଶା", 21),
            ("Odisa", 21),
            ("West Bangal", 19),
            ("पश्चिम बंगाल", 19),
            ("Jharkhand", 20),
            ("Jharkand", 20),
            ("M.P.", 23),
            ("Rajastan", 8),
        ] {
            assert_eq!(state(text), Some(code), "{text}: {:?}", Directory::bundled().match_state(text));
        }
    }

    #[test]
    fn districts_as_lists_spell_them() {
        for (text, in_state, code) in [
            ("Jaunpur", Some(9), 152),
            ("Jounpur", Some(9), 152),
            ("जौनपुर", Some(9), 152),
            ("Purnea", Some(10), 214),
            ("Purnia", None, 214),
            ("पूर्णिया", Some(10), 214),
            ("Allahabad", Some(9), 120),
            ("Allahabad", None, 120),
            ("Faizabad", None, 140),
            ("Gurgaon", None, 62),
            ("Ahmednagar", None, 466),
            ("Patna", Some(10), 212),
            ("पटना", Some(10), 212),
            ("muzaffarpur", Some(10), 208),
            ("मुज़फ़्फ़रपुर", Some(10), 208),
            ("Aurangabad", Some(27), 469),
        ] {
            assert_eq!(
                district(text, in_state),
                Some(code),
                "{text}: {:?}",
                Directory::bundled().match_district(text, in_state.map(|s| StateCode::new(s).unwrap()))
            );
        }
    }

    #[test]
    fn a_name_two_places_share_or_nonsense_is_not_sure() {
        // Aurangabad is a district of Bihar, and Maharashtra's earlier name for one.
        let both = Directory::bundled().match_district("Aurangabad", None);
        assert_eq!(both.sure(), None, "{both:?}");
        assert_eq!(district("Aurangabad", Some(10)), Some(189), "in Bihar it is Bihar's");
        // Bijapur is Chhattisgarh's district, and Karnataka's earlier name for Vijayapura.
        assert_eq!(district("Bijapur", None), None);
        assert_eq!(district("Bijapur", Some(22)), Some(636));
        assert_eq!(district("Bijapur", Some(29)), Some(530));
        for nonsense in ["", "   ", "xyz", "12345", "the village near the river"] {
            assert_eq!(state(nonsense), None, "{nonsense}");
            assert_eq!(district(nonsense, None), None, "{nonsense}");
        }
    }
}
