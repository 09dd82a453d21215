//! The neutral prompt: one thing for a caller to hear, as the flow engine
//! emits it and before [`PromptVoice`](super::PromptVoice) turns it into a
//! recording or text for a gateway.

use serde::{Deserialize, Serialize};

use super::PromptKey;
use crate::domain::{DistrictCode, Language, StateCode};

/// One thing for the caller to hear, in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "prompt", rename_all = "snake_case")]
pub enum Prompt {
    Catalog {
        key: PromptKey,
        language: Language,
    },
    StateName {
        code: StateCode,
        language: Language,
    },
    DistrictName {
        code: DistrictCode,
        language: Language,
    },
    /// The post office of a six-digit PIN code, by name (spoken, never recorded).
    PostOffice {
        pin: u32,
        language: Language,
    },
}

impl Prompt {
    pub fn language(&self) -> &Language {
        match self {
            Self::Catalog { language, .. }
            | Self::StateName { language, .. }
            | Self::DistrictName { language, .. }
            | Self::PostOffice { language, .. } => language,
        }
    }

    /// The same prompt in another language.
    pub fn in_language(&self, language: Language) -> Self {
        match self {
            Self::Catalog { key, .. } => Self::Catalog { key: key.clone(), language },
            Self::StateName { code, .. } => Self::StateName { code: *code, language },
            Self::DistrictName { code, .. } => Self::DistrictName { code: *code, language },
            Self::PostOffice { pin, .. } => Self::PostOffice { pin: *pin, language },
        }
    }
}
