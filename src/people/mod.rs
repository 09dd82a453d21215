//! The national database: one person per worker, from every source — calls
//! (through their cases), chats, imported lists, volunteers — keyed by the
//! E.164 phone number (a person without one is a record of their own).
//!
//! Every value a source gives a person's field is kept as a fact, with the
//! source, when and who. The rules ([`standing`]):
//!
//! - a value for a field the person has no value for becomes theirs;
//! - a value equal to theirs agrees (kept, changes nothing);
//! - a different value never replaces theirs: it is kept beside it as a
//!   conflict, for a coordinator to settle ([`PeopleStore::settle`]);
//! - nothing is ever replaced by "unknown": a source that does not know a
//!   field gives no fact for it;
//! - the same value from the same source is one fact, however often it is
//!   given, so importing a list twice changes nothing.

pub mod export;
pub mod import;
pub mod partners;
pub mod review;
mod settling;
pub mod store;
pub mod sync;

pub use store::{Fact, PeopleStore, Person, Recorded};

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::PhoneNumber;

/// A person's field a source can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Language,
    HomeState,
    HomeDistrict,
    Village,
    Ward,
    PostOffice,
    Pin,
    /// Another number a list gave beside the person's own (E.164).
    OtherPhone,
    CurrentLocation,
    Need,
    Consent,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Self::Name,
        Self::Language,
        Self::HomeState,
        Self::HomeDistrict,
        Self::Village,
        Self::Ward,
        Self::PostOffice,
        Self::Pin,
        Self::OtherPhone,
        Self::CurrentLocation,
        Self::Need,
        Self::Consent,
    ];

    /// The `people` column it fills (and its name in facts).
    pub fn column(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Language => "language",
            Self::HomeState => "home_state_code",
            Self::HomeDistrict => "home_district_code",
            Self::Village => "village",
            Self::Ward => "ward",
            Self::PostOffice => "post_office",
            Self::Pin => "pin_code",
            Self::OtherPhone => "other_phone",
            Self::CurrentLocation => "current_location",
            Self::Need => "need",
            Self::Consent => "consent",
        }
    }

    pub fn from_column(column: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.column() == column)
    }

    /// How the column is stored: codes as integers, consent as a boolean.
    fn kind(self) -> ColumnKind {
        match self {
            Self::HomeState | Self::HomeDistrict => ColumnKind::Code,
            Self::Consent => ColumnKind::Flag,
            _ => ColumnKind::Text,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.column())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Text,
    Code,
    Flag,
}

/// What kind of source gave a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Call,
    Chat,
    Import,
    Volunteer,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Chat => "chat",
            Self::Import => "import",
            Self::Volunteer => "volunteer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Call, Self::Chat, Self::Import, Self::Volunteer].into_iter().find(|k| k.as_str() == text)
    }
}

/// Who gave a person's values: a call ("call 12"), an import's source name,
/// a volunteer's username; with the unit it came through and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    pub name: String,
    pub unit_id: Option<i64>,
    /// Who imported or typed it (`None` for a caller's own answers).
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// What one source says of one person: the number (if any) and the values
/// it knows, normalised ([`normalise`]). Unknown fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    pub phone: Option<PhoneNumber>,
    pub values: Vec<(Field, String)>,
}

impl Given {
    /// Adds `value` for `field` unless it is blank once normalised.
    pub fn set(&mut self, field: Field, value: &str) {
        if let Some(value) = normalise(field, value) {
            self.values.retain(|(f, _)| *f != field);
            self.values.push((field, value));
        }
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.values.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())
    }
}

/// A value as facts keep it: trimmed, inner whitespace collapsed; codes as
/// decimal digits, consent as `yes`/`no`. `None`: blank (not a value).
pub fn normalise(field: Field, value: &str) -> Option<String> {
    let text = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    match field.kind() {
        ColumnKind::Text => Some(text),
        ColumnKind::Code => text.parse::<u32>().ok().map(|c| c.to_string()),
        ColumnKind::Flag => match text.as_str() {
            "yes" | "true" | "1" => Some("yes".to_owned()),
            "no" | "false" | "0" => Some("no".to_owned()),
            _ => None,
        },
    }
}

/// Where a new fact stands against the person's value for its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// It is the person's value: it filled the field, or agrees with it.
    Held,
    /// It differs from the person's value, which it did not replace.
    Conflict,
    /// A coordinator settled the field for another value.
    Overruled,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Conflict => "conflict",
            Self::Overruled => "overruled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Held, Self::Conflict, Self::Overruled].into_iter().find(|s| s.as_str() == text)
    }
}

/// The rule: a value fills an empty field, agrees with an equal one, and
/// conflicts with a different one (which stays).
pub fn standing(current: Option<&str>, given: &str) -> Standing {
    match current {
        Some(current) if current != given => Standing::Conflict,
        _ => Standing::Held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_fills_an_empty_field_agrees_with_an_equal_one_and_conflicts_with_another() {
        assert_eq!(standing(None, "Jaunpur"), Standing::Held);
        assert_eq!(standing(Some("Jaunpur"), "Jaunpur"), Standing::Held);
        assert_eq!(standing(Some("Jaunpur"), "Varanasi"), Standing::Conflict);
    }

    #[test]
    fn blank_values_are_not_values_and_codes_are_digits() {
        let mut given = Given::default();
        given.set(Field::Name, "  Ram   Kumar ");
        given.set(Field::Village, "   ");
        given.set(Field::HomeDistrict, "0183");
        given.set(Field::Consent, "maybe");
        assert_eq!(given.get(Field::Name), Some("Ram Kumar"));
        assert_eq!(given.get(Field::Village), None);
        assert_eq!(given.get(Field::HomeDistrict), Some("183"));
        assert_eq!(given.get(Field::Consent), None);
        given.set(Field::Name, "Ram");
        assert_eq!(given.values.iter().filter(|(f, _)| *f == Field::Name).count(), 1);
    }

    #[test]
    fn every_field_has_its_own_column() {
        for field in Field::ALL {
            assert_eq!(Field::from_column(field.column()), Some(field));
        }
    }
}
