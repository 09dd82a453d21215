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

mod desk;
pub mod store;
mod views;

pub use desk::{Desk, OpenedCase};
pub use store::QueueStore;
pub use views::{AttemptView, CallSummary, CaseHistory, CaseView, ClaimCheck, OutcomeReport, QueueCount};

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{Role, User},
    domain::{Language, StateCode},
};

/// The cases a user may see, claim and export. Enforced in the store's
/// queries: a case outside the scope does not exist for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub user_id: i64,
    pub role: Role,
    pub states: Vec<StateCode>,
    pub languages: Vec<Language>,
}

impl Scope {
    /// Admins see every case. Coordinators see their states' cases.
    /// Volunteers see cases in their states and languages, and cases whose
    /// state or language the caller never gave (someone must call them).
    pub fn of(user: &User) -> Self {
        Self { user_id: user.id, role: user.role, states: user.states.clone(), languages: user.languages.clone() }
    }

    /// Whether a case with this home state and language is in scope (the
    /// same rule the store's SQL applies).
    pub fn covers(&self, state: Option<StateCode>, language: Option<&Language>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Coordinator => state.is_some_and(|s| self.states.contains(&s)),
            Role::Volunteer => {
                state.is_none_or(|s| self.states.contains(&s)) && language.is_none_or(|l| self.languages.contains(l))
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

/// What happened when a volunteer called back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The caller was helped; the case is closed.
    Resolved,
    /// Referred on (district officer, state cell…); out of the callback queue.
    FollowUp { referred_to: String },
    /// Nobody answered: back in the queue after a backoff.
    NoAnswer,
    /// Not the caller's number; the case is closed.
    WrongNumber,
    /// The caller asked to be called at a given time.
    CallBack { at: DateTime<Utc> },
}

impl Outcome {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Resolved => "resolved",
            Self::FollowUp { .. } => "follow_up",
            Self::NoAnswer => "no_answer",
            Self::WrongNumber => "wrong_number",
            Self::CallBack { .. } => "call_back",
        }
    }

    /// Who the caller was referred to (follow-up only).
    pub fn referred_to(&self) -> Option<&str> {
        match self {
            Self::FollowUp { referred_to } => Some(referred_to),
            _ => None,
        }
    }

    /// When the caller asked to be called (call-back only).
    pub fn callback_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::CallBack { at } => Some(*at),
            _ => None,
        }
    }
}

/// Where an outcome leaves the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disposition {
    pub status: &'static str,
    /// Closed cases leave the queue; a new call opens a new case.
    pub closed: bool,
    /// When the case may be taken again (queued cases only).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The backoff after the `n`th "no answer" (1-based).
pub fn no_answer_backoff(n: u32) -> Duration {
    match n {
        0 | 1 => Duration::from_secs(30 * 60),
        2 => Duration::from_secs(2 * 60 * 60),
        _ => Duration::from_secs(24 * 60 * 60),
    }
}

/// What an outcome does to a case that has had `no_answers` before it.
pub fn disposition(outcome: &Outcome, no_answers: u32, now: DateTime<Utc>) -> Disposition {
    let queued = |at: Option<DateTime<Utc>>| Disposition { status: "queued", closed: false, next_attempt_at: at };
    match outcome {
        Outcome::Resolved => Disposition { status: "resolved", closed: true, next_attempt_at: None },
        Outcome::WrongNumber => Disposition { status: "wrong_number", closed: true, next_attempt_at: None },
        Outcome::FollowUp { .. } => Disposition { status: "follow_up", closed: false, next_attempt_at: None },
        Outcome::CallBack { at } => queued(Some(*at)),
        Outcome::NoAnswer if no_answers + 1 >= MAX_NO_ANSWER => {
            Disposition { status: "unreachable", closed: true, next_attempt_at: None }
        }
        Outcome::NoAnswer => {
            let wait = chrono::Duration::from_std(no_answer_backoff(no_answers + 1)).expect("small durations");
            queued(Some(now + wait))
        }
    }
}

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

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn no_answer_backs_off_then_closes_as_unreachable_at_the_fifth() {
        let now = at(0);
        let waits: Vec<_> =
            (0..4).map(|n| disposition(&Outcome::NoAnswer, n, now).next_attempt_at.unwrap() - now).collect();
        assert_eq!(
            waits,
            [
                chrono::Duration::minutes(30),
                chrono::Duration::hours(2),
                chrono::Duration::hours(24),
                chrono::Duration::hours(24)
            ]
        );
        let fifth = disposition(&Outcome::NoAnswer, 4, now);
        assert_eq!((fifth.status, fifth.closed), ("unreachable", true));
    }

    #[test]
    fn outcomes_close_or_requeue() {
        let now = at(0);
        assert!(disposition(&Outcome::Resolved, 0, now).closed);
        assert!(disposition(&Outcome::WrongNumber, 0, now).closed);
        let follow = disposition(&Outcome::FollowUp { referred_to: "district officer".to_owned() }, 0, now);
        assert_eq!((follow.status, follow.closed), ("follow_up", false));
        let later = disposition(&Outcome::CallBack { at: at(5) }, 0, now);
        assert_eq!((later.status, later.next_attempt_at), ("queued", Some(at(5))));
        let referred = Outcome::FollowUp { referred_to: "district officer".to_owned() };
        assert_eq!((referred.referred_to(), referred.callback_at()), (Some("district officer"), None));
        assert_eq!(
            (Outcome::CallBack { at: at(5) }.callback_at(), Outcome::Resolved.referred_to()),
            (Some(at(5)), None)
        );
    }

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
        };
        assert!(volunteer.covers(state(9), Some(&hi)));
        assert!(!volunteer.covers(state(10), Some(&hi)));
        assert!(!volunteer.covers(state(9), Some(&bn)));
        assert!(volunteer.covers(None, None), "an unknown state or language is everyone's to call");
        let coordinator = Scope { role: Role::Coordinator, ..volunteer.clone() };
        assert!(coordinator.covers(state(9), Some(&bn)));
        assert!(!coordinator.covers(None, Some(&hi)));
        let admin = Scope { role: Role::Admin, states: vec![], ..volunteer };
        assert!(admin.covers(state(33), None));
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

/// An outcome as a form or JSON body sends it: flat fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutcomeForm {
    pub outcome: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub referred_to: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` (an HTML datetime-local) in India time.
    #[serde(default)]
    pub callback_at: Option<String>,
    #[serde(default, flatten)]
    pub details: CaseNotes,
}

/// India Standard Time, for times people type.
fn ist() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("a valid offset")
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
    local.and_local_timezone(ist()).single().map(|t| t.with_timezone(&Utc))
}

impl OutcomeForm {
    /// Checks the form: a known outcome, a referral for follow-up, a future
    /// time (within 30 days) for a call-back, fields of sane length.
    pub fn into_report(self, now: DateTime<Utc>) -> Result<OutcomeReport, String> {
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let outcome = match self.outcome.as_str() {
            "resolved" => Outcome::Resolved,
            "no_answer" => Outcome::NoAnswer,
            "wrong_number" => Outcome::WrongNumber,
            "follow_up" => {
                let referred_to = text(self.referred_to).ok_or("say who the caller was referred to")?;
                if referred_to.chars().count() > MAX_FIELD {
                    return Err(format!("referred_to is longer than {MAX_FIELD} characters"));
                }
                Outcome::FollowUp { referred_to }
            }
            "call_back" => {
                let raw = text(self.callback_at).ok_or("give the time the caller asked to be called")?;
                let at = parse_time(&raw).ok_or("the call-back time is not a date and time")?;
                if at <= now || at > now + chrono::Duration::days(30) {
                    return Err("the call-back time must be in the next 30 days".to_owned());
                }
                Outcome::CallBack { at }
            }
            other => return Err(format!("`{other}` is not an outcome")),
        };
        let notes = text(self.notes);
        if notes.as_ref().is_some_and(|n| n.chars().count() > 4 * MAX_FIELD) {
            return Err("the notes are too long".to_owned());
        }
        Ok(OutcomeReport { outcome, notes, details: self.details.cleaned()? })
    }
}
