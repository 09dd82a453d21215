//! What the store returns to the volunteer side: cases as volunteers see
//! them, their history, queue counts, report figures and audit entries.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    domain::Language,
    prompts::PromptKey,
    queue::{CaseNotes, Outcome},
};

/// A case as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseView {
    pub id: i64,
    /// The caller's number (E.164). Pages mask it until the case is claimed.
    pub phone: Option<String>,
    pub language: Option<String>,
    pub consent: Option<bool>,
    pub home_state_code: Option<i64>,
    pub home_district_code: Option<i64>,
    pub need: Option<String>,
    pub recording_url: Option<String>,
    pub recording_duration_secs: Option<i64>,
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
    pub notes: CaseNotes,
}

impl CaseView {
    /// Whether `user` holds a live claim on the case at `now`.
    pub fn held_by(&self, user: i64, now: DateTime<Utc>) -> bool {
        self.claimed_by == Some(user) && self.lease_expires_at.is_some_and(|t| t > now)
    }
}

/// One call folded into a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSummary {
    pub started_at: DateTime<Utc>,
    pub provider: String,
    pub end_reason: Option<String>,
    pub last_node: String,
}

/// One callback attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// A case's calls and attempts, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseHistory {
    pub calls: Vec<CallSummary>,
    pub attempts: Vec<AttemptView>,
}

/// Waiting cases for one language and home state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueCount {
    pub language: Option<String>,
    pub home_state_code: Option<i64>,
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
}

/// Waiting cases in one district (district unknown: `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictCount {
    pub home_state_code: Option<i64>,
    pub home_district_code: Option<i64>,
    pub waiting: i64,
}

/// Outcomes recorded on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayOutcomes {
    pub day: String,
    pub outcome: String,
    pub count: i64,
}

/// Something a user did with personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// `view_number`, `play_recording`, `export`, `call_now`, `login`, …
    pub action: String,
    pub case_id: Option<i64>,
    pub details: Option<String>,
}

/// An uploaded prompt recording, without its audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptVersion {
    pub id: i64,
    pub language: Language,
    pub key: PromptKey,
    /// SHA-256 (hex) of the converted WAV gateways play.
    pub sha256: String,
    pub duration_ms: i64,
    /// Size of the converted WAV.
    pub bytes: i64,
    /// What was uploaded: `wav`, `mp3`, `ogg` or `flac`.
    pub original_format: String,
    pub original_bytes: i64,
    /// Made by speech synthesis: a placeholder until someone records it.
    pub synthetic: bool,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub active: bool,
}

/// A recording to store; it becomes the prompt's active version.
#[derive(Debug, Clone)]
pub struct NewPromptVersion {
    pub language: Language,
    pub key: PromptKey,
    pub sha256: String,
    pub wav: Vec<u8>,
    pub duration_ms: i64,
    pub original: Vec<u8>,
    pub original_format: String,
    pub synthetic: bool,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}
