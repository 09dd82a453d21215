//! What the caller says they need most, as keyed in the need menu.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// The need categories of the default flow. Medical goes first in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    Food,
    Money,
    Travel,
    Medical,
    Shelter,
    Other,
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a need (food, money, travel, medical, shelter, other)")]
pub struct NeedError(String);

impl Need {
    pub const ALL: [Need; 6] = [Self::Food, Self::Money, Self::Travel, Self::Medical, Self::Shelter, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Food => "food",
            Self::Money => "money",
            Self::Travel => "travel",
            Self::Medical => "medical",
            Self::Shelter => "shelter",
            Self::Other => "other",
        }
    }
}

impl FromStr for Need {
    type Err = NeedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| NeedError(s.to_owned()))
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
