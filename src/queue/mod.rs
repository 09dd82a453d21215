//! The callback queue's rules: who sees which cases, what order they are
//! taken in, what each outcome does. The store applies them in its queries;
//! the rules themselves are here, pure, so they can be tested without one.
//!
//! - A case is waiting when it is `queued`, not held by a live lease, and its
//!   next attempt is due. Medical need first, then the longest waiting (by
//!   the time of the caller's first call, not the last).
//! - Claiming is atomic and leased: no two volunteers ever hold one case,
//!   and a lease that runs out puts the case back.
//! - "No answer" puts the case back after 30 minutes, then 2 hours, then a
//!   day; the fifth closes it as unreachable.
//! - A case without the caller's number takes only the outcomes that need
//!   no call ([`fits`]); "cannot call back" closes it.

mod desk;
mod form;
mod outcome;
pub mod store;
mod views;

pub use desk::{Desk, OpenedCase};
pub use form::OutcomeForm;
pub use outcome::{Disposition, Outcome, OutcomeKind, disposition, fits, no_answer_backoff};
pub use store::QueueStore;
pub use views::{AnswerView, AttemptView, CallSummary, CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount};

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{
    auth::{Role, User},
    domain::{Language, StateCode},
};

/// The cases a user may see, claim and export. Enforced in the store's
/// queries: a case outside the scope does not exist for the user.
///
/// A case handed to a unit (`cases.unit_id`) is in the queue of that
/// unit's members whatever its home state, as if its state were one of
/// theirs: coordinators of the unit see it in any language, volunteers in
/// their languages (or when the language is unknown). The unit adds to the
/// states, it takes nothing away: a case handed on from a unit stays with
/// those of its members whose own states hold it, and leaves the others.
/// The central office sees no case at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub user_id: i64,
    pub role: Role,
    pub states: Vec<StateCode>,
    pub languages: Vec<Language>,
    /// The units the user is a member of.
    pub units: Vec<i64>,
}

impl Scope {
    /// Admins see every case. Coordinators see their states' cases.
    /// Volunteers see cases in their states and languages, and cases whose
    /// state or language the caller never gave (someone must call them).
    /// Either sees the cases handed to their units as their states' own.
    pub fn of(user: &User) -> Self {
        Self {
            user_id: user.id,
            role: user.role,
            states: user.states.clone(),
            languages: user.languages.clone(),
            units: user.units.clone(),
        }
    }

    /// Whether a case with this home state, language and unit is in scope
    /// (the same rule the store's SQL applies).
    pub fn covers(&self, state: Option<StateCode>, language: Option<&Language>, unit: Option<i64>) -> bool {
        let ours = unit.is_some_and(|u| self.units.contains(&u));
        match self.role {
            Role::Admin => true,
            Role::Central => false,
            Role::Coordinator => ours || state.is_some_and(|s| self.states.contains(&s)),
            Role::Volunteer => {
                (ours || state.is_none_or(|s| self.states.contains(&s)))
                    && language.is_none_or(|l| self.languages.contains(l))
            }
        }
    }

    /// The states as a JSON array, for the SQL `json_each` filter.
    pub fn states_json(&self) -> String {
        serde_json::to_string(&self.states).expect("numbers serialise")
    }

    /// The languages as a JSON array, for the SQL `json_each` filter.
    pub fn languages_json(&self) -> String {
        serde_json::to_string(&self.languages).expect("strings serialise")
    }
}

/// How long a claim lasts by default.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);
/// "No answer" attempts before a case is closed as unreachable.
pub const MAX_NO_ANSWER: u32 = 5;

/// What a volunteer fills in from the conversation (the seed questionnaire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CaseNotes {
    pub worker_name: Option<String>,
    pub village: Option<String>,
    pub ward: Option<String>,
    pub post_office: Option<String>,
    pub pin_code: Option<String>,
    /// Where the worker is stranded now.
    pub current_location: Option<String>,
}

/// The longest free-text field accepted.
pub const MAX_FIELD: usize = 500;

impl CaseNotes {
    /// Trims fields, drops empty ones; an error names a field that is too
    /// long or a PIN code that is not six digits.
    pub fn cleaned(self) -> Result<Self, String> {
        let clean = |name: &str, v: Option<String>| -> Result<Option<String>, String> {
            let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            match v {
                Some(s) if s.chars().count() > MAX_FIELD => {
                    Err(format!("{name} is longer than {MAX_FIELD} characters"))
                }
                other => Ok(other),
            }
        };
        let pin_code = clean("pin_code", self.pin_code)?;
        if pin_code.as_ref().is_some_and(|p| p.len() != 6 || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err("pin_code must be six digits".to_owned());
        }
        Ok(Self {
            worker_name: clean("worker_name", self.worker_name)?,
            village: clean("village", self.village)?,
            ward: clean("ward", self.ward)?,
            post_office: clean("post_office", self.post_office)?,
            pin_code,
            current_location: clean("current_location", self.current_location)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_role_state_and_language() {
        let hi = Language::parse("hi").unwrap();
        let bn = Language::parse("bn").unwrap();
        let state = |code| Some(StateCode::new(code).unwrap());
        let volunteer = Scope {
            user_id: 1,
            role: Role::Volunteer,
            states: vec![StateCode::new(9).unwrap()],
            languages: vec![hi.clone()],
            units: vec![4],
        };
        assert!(volunteer.covers(state(9), Some(&hi), None));
        assert!(!volunteer.covers(state(10), Some(&hi), None));
        assert!(!volunteer.covers(state(9), Some(&bn), None));
        assert!(volunteer.covers(None, None, None), "an unknown state or language is everyone's to call");
        let coordinator = Scope { role: Role::Coordinator, ..volunteer.clone() };
        assert!(coordinator.covers(state(9), Some(&bn), None));
        assert!(!coordinator.covers(None, Some(&hi), None));
        let central = Scope { role: Role::Central, ..volunteer.clone() };
        assert!(!central.covers(state(9), Some(&hi), Some(4)), "the central office sees no case");
        let admin = Scope { role: Role::Admin, states: vec![], ..volunteer };
        assert!(admin.covers(state(33), None, None));
    }

    #[test]
    fn a_case_handed_to_a_unit_is_its_members_whatever_its_state() {
        let hi = Language::parse("hi").unwrap();
        let bn = Language::parse("bn").unwrap();
        let bihar = Some(StateCode::new(10).unwrap());
        let volunteer = Scope {
            user_id: 1,
            role: Role::Volunteer,
            states: vec![StateCode::new(27).unwrap()],
            languages: vec![hi.clone()],
            units: vec![4],
        };
        assert!(volunteer.covers(bihar, Some(&hi), Some(4)));
        assert!(!volunteer.covers(bihar, Some(&bn), Some(4)), "a volunteer still needs the language");
        assert!(!volunteer.covers(bihar, Some(&hi), Some(5)), "handed on to another unit, it leaves");
        let coordinator = Scope { role: Role::Coordinator, ..volunteer.clone() };
        assert!(coordinator.covers(bihar, Some(&bn), Some(4)));
        assert!(!coordinator.covers(bihar, Some(&bn), Some(5)));
        let home = Scope { states: vec![StateCode::new(10).unwrap()], units: vec![], ..volunteer };
        assert!(home.covers(bihar, Some(&hi), Some(5)), "the home state's own keep it");
    }

    #[test]
    fn notes_are_trimmed_and_checked() {
        let notes =
            CaseNotes { village: Some("  Rampur ".to_owned()), ward: Some(" ".to_owned()), ..CaseNotes::default() };
        let cleaned = notes.cleaned().unwrap();
        assert_eq!(cleaned.village.as_deref(), Some("Rampur"));
        assert_eq!(cleaned.ward, None);
        let bad_pin = CaseNotes { pin_code: Some("8000".to_owned()), ..CaseNotes::default() };
        assert!(bad_pin.cleaned().is_err());
    }
}
