//! What a callback's outcome is, which outcomes fit a case, and where each
//! leaves the case: pure rules, stored by the queue's store.
//!
//! A case whose caller withheld their number cannot be called: an outcome
//! that only a call can tell ("no answer", "wrong number", "call back at a
//! time") does not fit it, and the store refuses one ([`fits`]). "Cannot
//! call back" fits every case: a withheld number, or one that cannot take a
//! call at all (out of service, a public phone), closes without waiting for
//! five "no answer"s.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MAX_NO_ANSWER;

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
    /// There is no number to call (withheld) or it cannot take a call; the
    /// case is closed.
    CannotCallBack,
}

/// An outcome's name, without its details: what pages offer, forms send,
/// attempts store and reports count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    Resolved,
    FollowUp,
    NoAnswer,
    WrongNumber,
    CallBack,
    CannotCallBack,
}

impl OutcomeKind {
    /// Every outcome, in the order the case page offers them.
    pub const ALL: [Self; 6] =
        [Self::Resolved, Self::FollowUp, Self::NoAnswer, Self::WrongNumber, Self::CallBack, Self::CannotCallBack];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resolved => "resolved",
            Self::FollowUp => "follow_up",
            Self::NoAnswer => "no_answer",
            Self::WrongNumber => "wrong_number",
            Self::CallBack => "call_back",
            Self::CannotCallBack => "cannot_call_back",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Only a call to the caller's number can tell this outcome.
    pub fn needs_a_call(self) -> bool {
        matches!(self, Self::NoAnswer | Self::WrongNumber | Self::CallBack)
    }

    /// The outcomes that fit a case with (or without) the caller's number.
    pub fn fitting(has_number: bool) -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(move |k| has_number || !k.needs_a_call())
    }
}

impl std::fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Outcome {
    pub fn outcome_kind(&self) -> OutcomeKind {
        match self {
            Self::Resolved => OutcomeKind::Resolved,
            Self::FollowUp { .. } => OutcomeKind::FollowUp,
            Self::NoAnswer => OutcomeKind::NoAnswer,
            Self::WrongNumber => OutcomeKind::WrongNumber,
            Self::CallBack { .. } => OutcomeKind::CallBack,
            Self::CannotCallBack => OutcomeKind::CannotCallBack,
        }
    }

    pub fn kind(&self) -> &'static str {
        self.outcome_kind().as_str()
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

/// Whether `outcome` may be recorded on a case with (or without) the
/// caller's number.
pub fn fits(outcome: &Outcome, has_number: bool) -> bool {
    has_number || !outcome.outcome_kind().needs_a_call()
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
    let closed = |status| Disposition { status, closed: true, next_attempt_at: None };
    match outcome {
        Outcome::Resolved => closed("resolved"),
        Outcome::WrongNumber => closed("wrong_number"),
        Outcome::CannotCallBack => closed("cannot_call_back"),
        Outcome::FollowUp { .. } => Disposition { status: "follow_up", closed: false, next_attempt_at: None },
        Outcome::CallBack { at } => queued(Some(*at)),
        Outcome::NoAnswer if no_answers + 1 >= MAX_NO_ANSWER => closed("unreachable"),
        Outcome::NoAnswer => {
            let wait = chrono::Duration::from_std(no_answer_backoff(no_answers + 1)).expect("small durations");
            queued(Some(now + wait))
        }
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
        let cannot = disposition(&Outcome::CannotCallBack, 0, now);
        assert_eq!((cannot.status, cannot.closed, cannot.next_attempt_at), ("cannot_call_back", true, None));
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
    fn without_a_number_only_outcomes_that_need_no_call_fit() {
        let offered: Vec<_> = OutcomeKind::fitting(false).map(OutcomeKind::as_str).collect();
        assert_eq!(offered, ["resolved", "follow_up", "cannot_call_back"]);
        assert_eq!(OutcomeKind::fitting(true).count(), OutcomeKind::ALL.len(), "a number fits every outcome");
        for refused in [Outcome::NoAnswer, Outcome::WrongNumber, Outcome::CallBack { at: at(5) }] {
            assert!(!fits(&refused, false), "{refused:?} needs a call");
            assert!(fits(&refused, true));
        }
        assert!(fits(&Outcome::CannotCallBack, false) && fits(&Outcome::CannotCallBack, true));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in OutcomeKind::ALL {
            assert_eq!(OutcomeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(OutcomeKind::parse("unreachable"), None, "a status, not an outcome a volunteer records");
    }
}
