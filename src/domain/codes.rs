//! LGD codes: states and union territories, and districts, as the Local
//! Government Directory numbers them.
//!
//! Which codes exist is the directory's business: keyed codes are checked
//! against [`crate::directory::Directory`], which hands out these types for
//! the codes it knows. Where no directory is at hand (a stored row, a form
//! field) they are checked by form only: a state code has one or two digits
//! (LGD numbers states 1–38), a district code is a positive number. Both are
//! serialised and stored as plain numbers, so the call states and cases
//! stored before these types existed read back unchanged.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// An LGD state or union territory code (1–99; LGD uses 1–38, not contiguous).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct StateCode(u8);

/// An LGD district code (positive; 1–796 today, unique across India).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct DistrictCode(u16);

/// A value that is not an LGD code of the kind named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not an LGD {kind} code")]
pub struct CodeError {
    kind: &'static str,
    value: String,
}

impl CodeError {
    fn new(kind: &'static str, value: impl fmt::Display) -> Self {
        Self { kind, value: value.to_string() }
    }
}

impl StateCode {
    /// The code `code`, when it has the form of a state code.
    pub fn new(code: u8) -> Result<Self, CodeError> {
        if (1..=99).contains(&code) { Ok(Self(code)) } else { Err(CodeError::new("state", code)) }
    }

    /// Reads a code keyed or stored as text: digits only (no sign, no
    /// spaces), leading zeros allowed (`09` is `9`).
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let code = parse_number(text).and_then(|n| u8::try_from(n).ok());
        code.and_then(|c| Self::new(c).ok()).ok_or_else(|| CodeError::new("state", text))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl DistrictCode {
    /// The code `code`, when it has the form of a district code.
    pub fn new(code: u16) -> Result<Self, CodeError> {
        if code > 0 { Ok(Self(code)) } else { Err(CodeError::new("district", code)) }
    }

    /// Reads a code keyed or stored as text: digits only, leading zeros allowed.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let code = parse_number(text).and_then(|n| u16::try_from(n).ok());
        code.and_then(|c| Self::new(c).ok()).ok_or_else(|| CodeError::new("district", text))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// Digits only, at most five of them after leading zeros (no code is longer).
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = text.trim_start_matches('0');
    if significant.len() > 5 {
        return None;
    }
    Some(significant.parse().unwrap_or(0))
}

/// Conversions shared by both codes: from and to their number, from text,
/// from a stored `i64` (a bad one is an error, never truncated), and the
/// number as `Display`.
macro_rules! code_conversions {
    ($code:ident, $inner:ty, $kind:literal) => {
        impl TryFrom<$inner> for $code {
            type Error = CodeError;
            fn try_from(value: $inner) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl TryFrom<i64> for $code {
            type Error = CodeError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                <$inner>::try_from(value).map_err(|_| CodeError::new($kind, value)).and_then(Self::new)
            }
        }

        impl From<$code> for $inner {
            fn from(value: $code) -> Self {
                value.0
            }
        }

        impl From<$code> for i64 {
            fn from(value: $code) -> Self {
                i64::from(value.0)
            }
        }

        impl FromStr for $code {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $code {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $code {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($code), self.0)
            }
        }
    };
}

code_conversions!(StateCode, u8, "state");
code_conversions!(DistrictCode, u16, "district");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes_are_one_or_two_digits_with_leading_zeros_allowed() {
        assert_eq!(StateCode::parse("09").unwrap().get(), 9);
        assert_eq!(StateCode::parse("0009").unwrap().get(), 9);
        assert_eq!(StateCode::parse("38").unwrap().get(), 38);
        for bad in ["", "0", "00", "100", "256", "1*", "+9", " 9", "9a", "-1", "99999999999999999999"] {
            assert!(StateCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn district_codes_are_positive() {
        assert_eq!(DistrictCode::parse("0212").unwrap().get(), 212);
        assert_eq!(DistrictCode::parse("65535").unwrap().get(), 65535);
        for bad in ["", "0", "65536", "12a", "#", "1 2"] {
            assert!(DistrictCode::parse(bad).is_err(), "{bad}");
        }
        assert!(DistrictCode::new(0).is_err());
    }

    #[test]
    fn stored_numbers_that_do_not_fit_are_refused_not_truncated() {
        assert_eq!(StateCode::try_from(10_i64).unwrap().get(), 10);
        assert!(StateCode::try_from(266_i64).is_err(), "266 as u8 would be 10");
        assert!(StateCode::try_from(-1_i64).is_err());
        assert!(DistrictCode::try_from(65_748_i64).is_err(), "65748 as u16 would be 212");
        assert_eq!(i64::from(DistrictCode::new(212).unwrap()), 212);
    }

    #[test]
    fn codes_serialise_as_the_plain_numbers_stored_before() {
        let state = StateCode::new(9).unwrap();
        assert_eq!(serde_json::to_string(&state).unwrap(), "9");
        assert_eq!(serde_json::from_str::<StateCode>("9").unwrap(), state);
        assert!(serde_json::from_str::<StateCode>("0").is_err());
        assert!(serde_json::from_str::<DistrictCode>("0").is_err());
        assert_eq!(serde_json::from_str::<DistrictCode>("187").unwrap().to_string(), "187");
    }
}
