//! One row of a list to what Sampark keeps of a person ([`ListRow`]), or
//! the reason it is refused ([`Rejected`]).
//!
//! Cells are cleaned as lists need: phone numbers written with spaces,
//! `+91`, a trunk `0`, "(M)", two to a cell; places through the
//! directory's matcher, each with its confidence, the PIN code filling what
//! the names leave open; "NA", "-" and "nil" read as blank. Nothing is
//! guessed: a number a spreadsheet rounded ("9.876543E+09") is refused,
//! and a place the matcher is not sure of is kept with its candidates for
//! a coordinator to pick.

use std::{collections::HashMap, hash::Hash};

use serde::{Deserialize, Serialize};

use crate::{
    directory::{Candidates, Directory, PinCode, look_up_pin},
    domain::{DistrictCode, Language, Need, PhoneNumber, StateCode},
};

use super::{
    columns::{Field, Mapping},
    phone::{PhoneProblem, ascii_digits, phones, without_float_zero},
    read::Record,
    words,
};

/// A state or district as a list names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placed<C> {
    /// The matcher is sure (or the PIN code says so: confidence 1).
    Known {
        code: C,
        confidence: f32,
    },
    /// The places it may be, most likely first (at most three), for a
    /// coordinator to pick.
    Uncertain {
        text: String,
        candidates: Vec<(C, f32)>,
    },
    /// No place is like it.
    Unknown {
        text: String,
    },
    Blank,
}

impl<C: Copy + PartialEq> Placed<C> {
    /// The place, when it is known.
    pub fn code(&self) -> Option<C> {
        match self {
            Self::Known { code, .. } => Some(*code),
            _ => None,
        }
    }

    fn from_candidates(text: &str, found: &Candidates<C>) -> Self {
        let text = text.to_owned();
        let candidates: Vec<(C, f32)> = found
            .0
            .iter()
            .filter(|c| c.confidence >= CANDIDATE)
            .take(3)
            .map(|c| (c.code, c.confidence as f32))
            .collect();
        match (found.sure(), candidates.first()) {
            (Some(code), Some((_, confidence))) => Self::Known { code, confidence: *confidence },
            (_, None) => Self::Unknown { text },
            (None, Some(_)) => Self::Uncertain { text, candidates },
        }
    }

    /// Known as `code` from the PIN code, when it is open (blank, unknown,
    /// or uncertain with `code` among its candidates); whether a known
    /// place disagrees with it.
    fn settle_by_pin(&mut self, code: C) -> bool {
        match self {
            Self::Known { code: known, .. } => return *known != code,
            Self::Uncertain { candidates, .. } if !candidates.iter().any(|(c, _)| *c == code) => return false,
            _ => {}
        }
        *self = Self::Known { code, confidence: 1.0 };
        false
    }
}

/// A name whose likeness is below this is not offered as a candidate.
const CANDIDATE: f64 = 0.75;

/// A cell checked against what it should hold: a language, a need, a PIN code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checked<T> {
    Known(T),
    /// Kept as written: for a need, free text a person reads.
    Unknown {
        text: String,
    },
    Blank,
}

/// A row read as a person. Serialised (JSON for a preview, or a batch
/// kept to resume) with its phone numbers in full: personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRow {
    /// The row in the file (the header's row counted, from 1).
    pub row: u64,
    pub phone: Option<PhoneNumber>,
    /// A second number in the phone cell ("6000000001 / 6000000002").
    pub other_phone: Option<PhoneNumber>,
    pub name: Option<String>,
    pub home_state: Placed<StateCode>,
    pub home_district: Placed<DistrictCode>,
    pub village: Option<String>,
    pub ward: Option<String>,
    pub post_office: Option<String>,
    /// Six digits India Post knows.
    pub pin: Checked<String>,
    /// The PIN code is in another district or state than the list names.
    pub pin_conflicts: bool,
    pub current_location: Option<String>,
    pub language: Checked<Language>,
    pub need: Checked<Need>,
    /// `None` when the cell is blank or says neither yes nor no.
    pub consent: Option<bool>,
}

/// A row that is not read as a person. Its text comes from the file (a
/// wrong number as written): for the coordinator's report, not for logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("row {row}: {reason}")]
pub struct Rejected {
    pub row: u64,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    #[error("it has neither a phone number nor a name")]
    NoPhoneOrName,
    #[error("phone '{0}' is not a 10-digit mobile number")]
    NotMobile(String),
    #[error(
        "phone '{0}' was mangled by the spreadsheet (rounded to a number in scientific notation); \
         its digits are lost, so it must be typed again as text"
    )]
    Mangled(String),
}

/// Reads one record of a list through its column mapping. For a whole
/// list, [`RowParser`] is faster: it matches each spelling of a place once.
pub fn parse_row(mapping: &Mapping, record: &Record, directory: &Directory) -> Result<ListRow, Rejected> {
    read_row(mapping, record, &mut Places::new(directory))
}

/// Reads the rows of one list, remembering the places it has matched:
/// a list repeats a few spellings of its districts thousands of times,
/// and matching one against every district's names is the slow part.
pub struct RowParser<'d> {
    mapping: Mapping,
    places: Places<'d>,
}

impl<'d> RowParser<'d> {
    pub fn new(mapping: Mapping, directory: &'d Directory) -> Self {
        Self { mapping, places: Places::new(directory) }
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// As [`parse_row`].
    pub fn parse(&mut self, record: &Record) -> Result<ListRow, Rejected> {
        read_row(&self.mapping, record, &mut self.places)
    }
}

/// The directory's matches by the text matched, at most [`REMEMBERED`]
/// of each kind (then forgotten and begun again), so memory stays bounded
/// however many spellings a file has.
struct Places<'d> {
    directory: &'d Directory,
    states: HashMap<String, Placed<StateCode>>,
    districts: HashMap<(String, Option<StateCode>), Placed<DistrictCode>>,
}

const REMEMBERED: usize = 10_000;

impl<'d> Places<'d> {
    fn new(directory: &'d Directory) -> Self {
        Self { directory, states: HashMap::new(), districts: HashMap::new() }
    }

    fn state(&mut self, text: &str) -> Placed<StateCode> {
        let directory = self.directory;
        remembered(&mut self.states, text.to_owned(), || Placed::from_candidates(text, &directory.match_state(text)))
    }

    fn district(&mut self, text: &str, state: Option<StateCode>) -> Placed<DistrictCode> {
        let directory = self.directory;
        remembered(&mut self.districts, (text.to_owned(), state), || {
            Placed::from_candidates(text, &directory.match_district(text, state))
        })
    }
}

fn remembered<K: Eq + Hash, V: Clone>(map: &mut HashMap<K, V>, key: K, find: impl FnOnce() -> V) -> V {
    if let Some(value) = map.get(&key) {
        return value.clone();
    }
    if map.len() >= REMEMBERED {
        map.clear();
    }
    map.entry(key).or_insert_with(find).clone()
}

fn read_row(mapping: &Mapping, record: &Record, places: &mut Places<'_>) -> Result<ListRow, Rejected> {
    let cell = |field| present(mapping.cell(field, &record.cells));
    let reject = |reason| Rejected { row: record.row, reason };
    let written = text(cell(Field::Phone)).unwrap_or_default();
    let (phone, other_phone) = phones(&written).map_err(|problem| {
        reject(match problem {
            PhoneProblem::NotMobile => RejectReason::NotMobile(written.clone()),
            PhoneProblem::Mangled => RejectReason::Mangled(written.clone()),
        })
    })?;
    let name = text(cell(Field::Name));
    if phone.is_none() && name.is_none() {
        return Err(reject(RejectReason::NoPhoneOrName));
    }
    let (pin, pin_code) = pin(cell(Field::Pin));
    let (home_state, home_district, pin_conflicts) =
        place(places, cell(Field::HomeState), cell(Field::HomeDistrict), pin_code);
    Ok(ListRow {
        row: record.row,
        phone,
        other_phone,
        name,
        home_state,
        home_district,
        village: text(cell(Field::Village)),
        ward: text(cell(Field::Ward)),
        post_office: text(cell(Field::PostOffice)),
        pin,
        pin_conflicts,
        current_location: text(cell(Field::CurrentLocation)),
        language: checked(cell(Field::Language), words::language),
        need: checked(cell(Field::Need), words::need),
        consent: words::consent(cell(Field::Consent)),
    })
}

/// What lists write for "nothing here".
const BLANKS: [&str; 11] = ["-", "--", "na", "n a", "nil", "none", "null", "not available", "नहीं है", "0000000000", ""];

/// The cell trimmed, empty when it only says there is nothing.
fn present(cell: &str) -> &str {
    let folded = words::fold(cell);
    if BLANKS.contains(&folded.as_str()) { "" } else { cell.trim() }
}

/// Free text with its spaces collapsed; `None` when blank.
fn text(cell: &str) -> Option<String> {
    let collapsed = cell.split_whitespace().collect::<Vec<_>>().join(" ");
    (!collapsed.is_empty()).then_some(collapsed)
}

fn checked<T>(cell: &str, read: impl Fn(&str) -> Option<T>) -> Checked<T> {
    match (text(cell), read(cell)) {
        (None, _) => Checked::Blank,
        (Some(_), Some(value)) => Checked::Known(value),
        (Some(text), None) => Checked::Unknown { text },
    }
}

/// The home state and district from their cells and the PIN code, and
/// whether the PIN code disagrees with a place the names settle.
fn place(
    places: &mut Places<'_>,
    state_text: &str,
    district_text: &str,
    pin: Option<&PinCode>,
) -> (Placed<StateCode>, Placed<DistrictCode>, bool) {
    let mut state = match state_text {
        "" => Placed::Blank,
        text => places.state(text),
    };
    // Without a known state, the district is looked for in all of India.
    let mut district = match district_text {
        "" => Placed::Blank,
        text => places.district(text, state.code()),
    };
    let directory = places.directory;
    // A district the names settle settles an open state: blank, or uncertain with it among its candidates.
    if let Placed::Known { code, confidence } = district
        && let Some(its_state) = directory.district(code).map(|d| d.state)
    {
        let open = match &state {
            Placed::Blank => true,
            Placed::Uncertain { candidates, .. } => candidates.iter().any(|(c, _)| *c == its_state),
            _ => false,
        };
        if open {
            state = Placed::Known { code: its_state, confidence };
        }
    }
    let mut conflicts = false;
    if let Some(pin) = pin {
        // A PIN code in another state than the list's gives no district.
        let same_state = state.code().zip(pin.state).is_none_or(|(s, p)| s == p);
        if let Some(code) = pin.district.filter(|_| same_state) {
            conflicts |= district.settle_by_pin(code);
        }
        if let Some(code) = pin.state {
            conflicts |= state.settle_by_pin(code);
        }
    }
    (state, district, conflicts)
}

/// The PIN code as kept, and India Post's entry for it.
fn pin(cell: &str) -> (Checked<String>, Option<&'static PinCode>) {
    let Some(written) = text(cell) else {
        return (Checked::Blank, None);
    };
    let digits: String = ascii_digits(without_float_zero(&written)).chars().filter(|c| *c != ' ').collect();
    match look_up_pin(&digits) {
        Ok(found) => (Checked::Known(digits), Some(found)),
        Err(_) => (Checked::Unknown { text: written }, None),
    }
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
