//! What the store returns to the volunteer side: report figures, audit
//! entries and prompt versions (the queue's views are in `queue`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{domain::Language, prompts::PromptKey};

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
