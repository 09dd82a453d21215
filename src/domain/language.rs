//! Language codes (ISO 639-1/-3 style, lower case): `hi`, `bn`, `or`, `en`, `bho`…
//!
//! Which languages exist is the prompt catalog's business; this type only
//! guarantees the code is well formed, so it is safe in a file path or URL.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A well-formed language code: 2 or 3 ASCII lower-case letters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a language code (2 or 3 lower-case letters, e.g. `hi`)")]
pub struct LanguageError(String);

impl Language {
    pub fn parse(code: &str) -> Result<Self, LanguageError> {
        let ok = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
        if ok { Ok(Self(code.to_owned())) } else { Err(LanguageError(code.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Language {
    type Error = LanguageError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Language> for String {
    fn from(value: Language) -> Self {
        value.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn codes_that_could_escape_a_path_are_rejected() {
        for bad in ["", "h", "hind", "HI", "../", "h1", "hi/"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Language::parse("bho").unwrap().as_str(), "bho");
    }
}
