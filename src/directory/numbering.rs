//! A first guess at a caller's home state from their mobile number: the
//! telecom circle its four-digit series was first issued in, and the LGD
//! states of that circle (`data/numbering/`, see its SOURCES.md). Porting
//! and SIMs bought at work make it a guess the caller confirms, never a
//! fact.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use crate::domain::{PhoneNumber, StateCode};

const SERIES_CSV: &str = include_str!("../../data/numbering/mobile_series_circles.csv");
const CIRCLES_CSV: &str = include_str!("../../data/numbering/circle_states.csv");

/// The most states a guess offers (keys 1–8; the next key is "another state").
pub const MAX_GUESSES: usize = 8;

/// Series → circle → states.
#[derive(Debug, Default)]
pub struct Numbering {
    /// Four-digit series, and a few split at the fifth digit; a series the
    /// source lists under two circles (9010) has both.
    series: HashMap<String, Vec<String>>,
    circles: HashMap<String, Vec<StateCode>>,
}

#[derive(Debug, thiserror::Error)]
pub enum NumberingError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

impl Numbering {
    /// The tables shipped in the binary.
    pub fn bundled() -> Arc<Numbering> {
        static BUNDLED: OnceLock<Arc<Numbering>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                Arc::new(Self::from_csv(SERIES_CSV, CIRCLES_CSV).expect("the bundled numbering data parses"))
            })
            .clone()
    }

    /// The bundled circles with `series` (`series,circle_code` rows) as the
    /// only series: for tests, whose made-up numbers (`+91 1000…`) are in no
    /// real series.
    pub fn with_series(series: &str) -> Result<Self, NumberingError> {
        Self::from_csv(series, CIRCLES_CSV)
    }

    /// Parses `series,circle_code` and `circle_code,circle_name,lgd_state_codes,note`.
    pub fn from_csv(series: &str, circles: &str) -> Result<Self, NumberingError> {
        let mut numbering = Self::default();
        for (i, row) in csv::Reader::from_reader(circles.as_bytes()).records().enumerate() {
            let row = row?;
            let line = |message: String| NumberingError::Line { line: i + 2, message };
            let states = row
                .get(2)
                .unwrap_or_default()
                .split(';')
                .map(|code| StateCode::parse(code.trim()).ok())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| line(format!("`{}` is not a list of state codes", row.get(2).unwrap_or_default())))?;
            numbering.circles.insert(row.get(0).unwrap_or_default().to_owned(), states);
        }
        for (i, row) in csv::Reader::from_reader(series.as_bytes()).records().enumerate() {
            let row = row?;
            let line = |message: String| NumberingError::Line { line: i + 2, message };
            let prefix = row.get(0).unwrap_or_default();
            if !(4..=5).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(line(format!("`{prefix}` is not a series of 4 or 5 digits")));
            }
            let circle = row.get(1).unwrap_or_default();
            if !numbering.circles.contains_key(circle) {
                return Err(line(format!("circle `{circle}` is not in the circles table")));
            }
            numbering.series.entry(prefix.to_owned()).or_default().push(circle.to_owned());
        }
        Ok(numbering)
    }

    /// Every guess a number can give (each circle's states, and the series
    /// that name two circles): the lists a guess question can offer.
    pub fn possible_guesses(&self) -> Vec<Vec<StateCode>> {
        let mut guesses: Vec<Vec<StateCode>> = Vec::new();
        for circles in self.series.values() {
            let mut states: Vec<StateCode> = Vec::new();
            for state in circles.iter().filter_map(|c| self.circles.get(c)).flatten() {
                if !states.contains(state) {
                    states.push(*state);
                }
            }
            states.truncate(MAX_GUESSES);
            if !guesses.contains(&states) {
                guesses.push(states);
            }
        }
        guesses
    }

    /// The states a caller on `phone` may be from, most likely first; empty
    /// when the number is not an Indian mobile number of a known series.
    pub fn guess(&self, phone: &PhoneNumber) -> Vec<StateCode> {
        let Some(national) = phone.as_e164().strip_prefix("+91").filter(|n| n.len() == 10) else {
            return Vec::new();
        };
        // A series split at the fifth digit wins over its four-digit one.
        let circles = [5, 4].iter().find_map(|&n| national.get(..n).and_then(|prefix| self.series.get(prefix)));
        let mut states: Vec<StateCode> = Vec::new();
        for state in circles.into_iter().flatten().filter_map(|c| self.circles.get(c)).flatten() {
            if !states.contains(state) {
                states.push(*state);
            }
        }
        states.truncate(MAX_GUESSES);
        states
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(numbering: &Numbering, number: &str) -> Vec<u8> {
        numbering.guess(&PhoneNumber::parse(number).unwrap()).iter().map(|s| s.get()).collect()
    }

    #[test]
    fn the_bundled_tables_parse_and_every_circle_names_known_states() {
        let numbering = Numbering::bundled();
        assert_eq!(numbering.series.values().map(Vec::len).sum::<usize>(), 2059, "every row");
        assert_eq!(numbering.circles.len(), 24);
        let directory = super::super::Directory::bundled();
        for states in numbering.circles.values() {
            assert!(states.iter().all(|s| directory.state(*s).is_some()), "{states:?}");
        }
    }

    #[test]
    fn a_series_gives_its_circles_states_main_state_first() {
        // Series only: the rest of each number is made up (zeros).
        let table = Numbering::from_csv("series,circle_code\n9430,BR\n6001,AS\n94309,WB\n", CIRCLES_CSV).unwrap();
        assert_eq!(codes(&table, "+919430000000"), [10, 20], "Bihar, then Jharkhand");
        assert_eq!(codes(&table, "+919430900000"), [19, 11, 35], "split at the fifth digit");
        let twice = Numbering::from_csv("series,circle_code\n9010,AP\n9010,MH\n", CIRCLES_CSV).unwrap();
        assert_eq!(codes(&twice, "+919010000000"), [28, 36, 27, 30], "a series in two circles offers both");
        assert_eq!(codes(&table, "09430000000"), [10, 20], "any spelling of the number");
        assert_eq!(codes(&table, "+916001000000"), [18]);
    }

    #[test]
    fn no_guess_for_unknown_series_landlines_foreign_numbers_or_none() {
        let table = Numbering::from_csv("series,circle_code\n9430,BR\n", CIRCLES_CSV).unwrap();
        assert!(codes(&table, "+919999000000").is_empty(), "a series not in the table");
        assert!(codes(&table, "+911000000001").is_empty(), "not a mobile series");
        assert!(codes(&table, "+14155550100").is_empty(), "not Indian");
    }

    #[test]
    fn a_table_naming_an_unknown_circle_or_state_is_refused() {
        assert!(Numbering::from_csv("series,circle_code\n9430,ZZ\n", CIRCLES_CSV).is_err());
        assert!(
            Numbering::from_csv("series,circle_code\n", "circle_code,circle_name,lgd_state_codes,note\nBR,B,10;x,\n")
                .is_err()
        );
    }
}
