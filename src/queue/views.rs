//! What the queue's store returns: cases as volunteers see them, their
//! history, queue counts, and why a held-case operation did not apply.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CaseNotes, Outcome};
use crate::domain::{DistrictCode, StateCode};

/// A case as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CaseView {
    pub id: i64,
    /// The caller's number (E.164). Pages mask it until the case is claimed.
    pub phone: Option<String>,
    /// Another number the caller asked to be called back on (E.164),
    /// dialled first; masked like `phone`.
    pub callback_phone: Option<String>,
    pub language: Option<String>,
    pub consent: Option<bool>,
    pub home_state_code: Option<StateCode>,
    pub home_district_code: Option<DistrictCode>,
    pub need: Option<String>,
    pub recording_url: Option<String>,
    pub recording_duration_secs: Option<i64>,
    /// The district and village the caller said aloud, for the volunteer to code.
    pub place_recording_url: Option<String>,
    pub status: String,
    pub calls: i64,
    pub first_call_at: DateTime<Utc>,
    pub last_call_at: DateTime<Utc>,
    pub claimed_by: Option<i64>,
    pub claimed_by_name: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub no_answer_attempts: i64,
    pub referred_to: Option<String>,
    #[sqlx(flatten)]
    pub notes: CaseNotes,
}

impl CaseView {
    /// Whether `user` holds a live claim on the case at `now`.
    pub fn held_by(&self, user: i64, now: DateTime<Utc>) -> bool {
        self.claimed_by == Some(user) && self.lease_expires_at.is_some_and(|t| t > now)
    }

    /// Whether there is a number to call: the callback number or the
    /// caller's own.
    pub fn has_number(&self) -> bool {
        self.callback_phone.is_some() || self.phone.is_some()
    }
}

/// One call folded into a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CallSummary {
    pub started_at: DateTime<Utc>,
    pub provider: String,
    pub end_reason: Option<String>,
    pub last_node: String,
}

/// One callback attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttemptView {
    pub started_at: DateTime<Utc>,
    pub username: String,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub referred_to: Option<String>,
    pub callback_at: Option<DateTime<Utc>>,
    pub gateway: Option<String>,
    pub call_status: Option<String>,
}

/// One answer a call gave the case (`case_answers`): which question (the
/// case column it fills), the value as stored, and the call that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AnswerView {
    pub field: String,
    pub value: String,
    pub given_at: DateTime<Utc>,
    pub provider: String,
    /// The gateway's id of the call (`CallSid`, `CallUUID`, `sid`).
    pub call_sid: String,
    /// Whether the case holds this value now (the latest given).
    pub current: bool,
}

/// A case's calls, attempts and answers given, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseHistory {
    pub calls: Vec<CallSummary>,
    pub attempts: Vec<AttemptView>,
    pub answers: Vec<AnswerView>,
}

impl CaseHistory {
    /// The answers given to `field` that the case no longer shows: the
    /// earlier ones, each value once (its latest giving), oldest first.
    pub fn earlier(&self, field: &str) -> Vec<&AnswerView> {
        let mut earlier: Vec<&AnswerView> = Vec::new();
        for answer in self.answers.iter().filter(|a| a.field == field && !a.current) {
            earlier.retain(|e| e.value != answer.value);
            earlier.push(answer);
        }
        earlier
    }
}

/// Waiting cases for one language and home state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct QueueCount {
    pub language: Option<String>,
    pub home_state_code: Option<StateCode>,
    pub waiting: i64,
}

/// What a volunteer reports after a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeReport {
    pub outcome: Outcome,
    pub notes: Option<String>,
    pub details: CaseNotes,
}

/// Why an outcome or release was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimCheck {
    Done,
    /// The case is outside the user's scope, or does not exist.
    NotFound,
    /// The user does not hold a live claim on the case.
    NotHeld,
    /// The caller's number was withheld, and the outcome needs a call
    /// (see [`super::fits`]); nothing was recorded.
    NeedsNumber,
}
