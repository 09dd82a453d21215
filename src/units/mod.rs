//! State units: a state office of the organisation (or a partner NGO),
//! its members and the states it serves ([`UnitStore`]); cases handed from
//! unit to unit with a note ([`handover`]); and the central office's
//! rollups, counts by LGD code without personal data ([`rollup`]).
//!
//! A case handed to a unit is in its members' queue whatever the case's
//! home state (the rule is [`crate::queue::Scope`]'s). One SQL text for
//! both backends.

pub mod handover;
pub mod rollup;
mod store;

pub use handover::{HandOver, HandedCase, Handover};
pub use rollup::{Rollup, RollupStore};
pub use store::UnitStore;

use serde::Serialize;

use crate::domain::StateCode;

/// A unit, with its states and members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub id: i64,
    /// Short, as on the command line: `bihar`.
    pub name: String,
    /// As people say it: "Bihar state unit".
    pub title: String,
    pub states: Vec<StateCode>,
    /// The members' usernames.
    pub members: Vec<String>,
}

/// Unit names: 2–32 lower-case letters, digits, `.`, `_` or `-`.
pub fn valid_unit_name(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The longest hand-over note accepted.
pub const MAX_NOTE: usize = 1000;

/// A hand-over note, trimmed; an error when blank or too long.
pub fn clean_note(note: &str) -> Result<String, String> {
    let note = note.trim();
    if note.is_empty() {
        return Err("a hand-over needs a note: what the receiving unit should do".to_owned());
    }
    if note.chars().count() > MAX_NOTE {
        return Err(format!("the note is longer than {MAX_NOTE} characters"));
    }
    Ok(note.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_are_plain_and_notes_are_needed() {
        assert!(valid_unit_name("bihar"));
        assert!(valid_unit_name("up-east"));
        assert!(!valid_unit_name("Bihar"));
        assert!(!valid_unit_name("b"));
        assert_eq!(clean_note("  arrange travel ").unwrap(), "arrange travel");
        assert!(clean_note("  ").is_err());
        assert!(clean_note(&"x".repeat(MAX_NOTE + 1)).is_err());
    }
}
