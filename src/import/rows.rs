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

use crate::{
    directory::{Candidates, Directory, PinCode, look_up_pin},
    domain::{DistrictCode, Language, Need, PhoneNumber, StateCode},
};

use super::{
    columns::{Field, Mapping},
    read::Record,
    words,
};

/// A state or district as a list names it.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked<T> {
    Known(T),
    /// Kept as written: for a need, free text a person reads.
    Unknown {
        text: String,
    },
    Blank,
}

/// A row read as a person.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {reason}")]
pub struct Rejected {
    pub row: u64,
    pub reason: RejectReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

/// Reads one record of a list through its column mapping.
pub fn parse_row(mapping: &Mapping, record: &Record, directory: &Directory) -> Result<ListRow, Rejected> {
    let cell = |field| present(mapping.cell(field, &record.cells));
    let reject = |reason| Rejected { row: record.row, reason };
    let (phone, other_phone) = phones(cell(Field::Phone)).map_err(reject)?;
    let name = text(cell(Field::Name));
    if phone.is_none() && name.is_none() {
        return Err(reject(RejectReason::NoPhoneOrName));
    }
    let (pin, pin_code) = pin(cell(Field::Pin));
    let (home_state, home_district, pin_conflicts) =
        place(directory, cell(Field::HomeState), cell(Field::HomeDistrict), pin_code);
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
    directory: &Directory,
    state_text: &str,
    district_text: &str,
    pin: Option<&PinCode>,
) -> (Placed<StateCode>, Placed<DistrictCode>, bool) {
    let mut state = match state_text {
        "" => Placed::Blank,
        text => Placed::from_candidates(text, &directory.match_state(text)),
    };
    let mut district = match (district_text, state.code()) {
        ("", _) => Placed::Blank,
        (text, Some(code)) => Placed::from_candidates(text, &directory.match_district(text, Some(code))),
        (text, None) => Placed::from_candidates(text, &directory.match_district(text, None)),
    };
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
        if let Some(code) = pin.district {
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

/// The phone cell's number and a second one, or why it has none that can be called.
fn phones(cell: &str) -> Result<(Option<PhoneNumber>, Option<PhoneNumber>), RejectReason> {
    let Some(written) = text(cell) else {
        return Ok((None, None));
    };
    if mangled(&written) {
        return Err(RejectReason::Mangled(written));
    }
    let mut parts = written.split(['/', ',', ';', '|', '&']).map(str::trim).filter(|p| !p.is_empty());
    let first = parts.next().and_then(mobile).ok_or_else(|| RejectReason::NotMobile(written.clone()))?;
    let other = parts.next().and_then(mobile).filter(|other| *other != first);
    Ok((Some(first), other))
}

/// A number in scientific notation, as a spreadsheet shows a long number
/// it stores as a float ("9.87654E+09"): its last digits are gone.
fn mangled(written: &str) -> bool {
    let Some((mantissa, exponent)) = written.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.trim().split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa.trim()),
    };
    mantissa_ok && digits(exponent.trim())
}

/// Labels lists write beside a number: "(M)", "Mob:", "Ph.", "WhatsApp".
const LABELS: [&str; 12] = ["m", "mob", "mobile", "ph", "phone", "tel", "o", "r", "no", "cell", "whatsapp", "contact"];

/// One Indian mobile number as lists write it, or a number abroad written
/// with its `+` and country code.
fn mobile(part: &str) -> Option<PhoneNumber> {
    let ascii = ascii_digits(part.trim().trim_start_matches('\''));
    let lower = ascii.to_lowercase();
    let labelled =
        lower.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).all(|w| LABELS.contains(&w));
    if !labelled {
        return None;
    }
    let bare: String = lower.chars().filter(|c| !c.is_ascii_alphabetic()).collect();
    let bare = without_float_zero(bare.trim_matches([' ', ':', '.', '-']));
    let plus = bare.starts_with('+');
    let digits: String = bare.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | ':' | '+')).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || bare.matches('+').count() > usize::from(plus) {
        return None;
    }
    let national = match (plus, digits.len()) {
        (true, 12) if digits.starts_with("91") => &digits[2..],
        (true, _) if !digits.starts_with("91") => return PhoneNumber::parse(&format!("+{digits}")),
        (false, 10) => &digits,
        (false, 11) if digits.starts_with('0') => &digits[1..],
        (false, 12) if digits.starts_with("91") => &digits[2..],
        (false, 13) if digits.starts_with("091") => &digits[3..],
        (false, 14) if digits.starts_with("0091") => &digits[4..],
        _ => return None,
    };
    PhoneNumber::indian_mobile(national)
}

/// A whole number a spreadsheet wrote as a float: "6000000001.0".
fn without_float_zero(text: &str) -> &str {
    match text.strip_suffix(".0") {
        Some(whole) if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) => whole,
        _ => text,
    }
}

/// Digits of the Devanagari, Bengali and Odia scripts as ASCII digits.
fn ascii_digits(text: &str) -> String {
    text.chars().map(ascii_digit).collect()
}

fn ascii_digit(c: char) -> char {
    let code = u32::from(c);
    [0x0966, 0x09E6, 0x0B66]
        .into_iter()
        .find(|zero| (*zero..zero + 10).contains(&code))
        .and_then(|zero| char::from_digit(code - zero, 10))
        .unwrap_or(c)
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
