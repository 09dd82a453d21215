//! Keys a caller pressed, as a gateway reports them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One to [`Digits::MAX_LEN`] keys of a phone's keypad: `0`–`9`, `*`, `#`.
///
/// Parsed from the gateway's parameter by its adapter (Twilio and Plivo
/// `Digits`, KooKoo `data`, Exotel `digits`); no keys at all is not
/// `Digits` but "no input". Serialised as the plain string it was before.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digits(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not keypad keys (1–32 of 0-9, * and #)")]
pub struct DigitsError;

impl Digits {
    /// The longest answer we take: longer than any code a flow asks for.
    pub const MAX_LEN: usize = 32;

    pub fn parse(keys: &str) -> Result<Self, DigitsError> {
        let keypad = keys.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#');
        let ok = (1..=Self::MAX_LEN).contains(&keys.len()) && keypad;
        if ok { Ok(Self(keys.to_owned())) } else { Err(DigitsError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, when exactly one was pressed (a menu's answer).
    pub fn single_key(&self) -> Option<char> {
        let mut keys = self.0.chars();
        match (keys.next(), keys.next()) {
            (Some(key), None) => Some(key),
            _ => None,
        }
    }
}

impl TryFrom<String> for Digits {
    type Error = DigitsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Digits> for String {
    fn from(value: Digits) -> Self {
        value.0
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digits({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn only_keypad_keys_are_digits() {
        for good in ["0", "09", "212#", "*1#", &"9".repeat(32)] {
            assert_eq!(Digits::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "12a", "1 2", "2'; DROP TABLE cases", "१२", "+1", &"9".repeat(33)] {
            assert!(Digits::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_menu_answer_is_one_key() {
        assert_eq!(Digits::parse("7").unwrap().single_key(), Some('7'));
        assert_eq!(Digits::parse("71").unwrap().single_key(), None);
    }

    #[test]
    fn digits_serialise_as_the_plain_string_stored_before() {
        let digits = Digits::parse("09").unwrap();
        assert_eq!(serde_json::to_string(&digits).unwrap(), r#""09""#);
        assert_eq!(serde_json::from_str::<Digits>(r#""09""#).unwrap(), digits);
        assert!(serde_json::from_str::<Digits>(r#""9a""#).is_err());
    }
}
