//! A gateway's id for a call: Twilio `CallSid`, Plivo `CallUUID`, KooKoo
//! `sid`, Exotel `CallSid`.
//!
//! It names the call in the calls table, the spool, the call cache and log
//! lines, and KooKoo's reply echoes it, so it is parsed once in each
//! adapter and never reaches the rest of the server unchecked.

use std::fmt;

use serde::{Deserialize, Serialize};

/// 1 to [`CallId::MAX_LEN`] printable ASCII characters of the kinds gateways
/// use: letters, digits, `-`, `_` and `.` (Twilio `CA` + 32 hex, Plivo and
/// Exotel hex or UUIDs, KooKoo digits and dots). Nothing that means
/// something in a URL, a path, XML or a log line: no space, quote, slash,
/// `<`, `&` or control character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CallId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a call id (1–64 letters, digits, `-`, `_` or `.`)")]
pub struct CallIdError;

impl CallId {
    /// Longer than any gateway's ids (a UUID is 36).
    pub const MAX_LEN: usize = 64;

    pub fn parse(id: &str) -> Result<Self, CallIdError> {
        let allowed = id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        let ok = (1..=Self::MAX_LEN).contains(&id.len()) && allowed;
        if ok { Ok(Self(id.to_owned())) } else { Err(CallIdError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CallId {
    type Error = CallIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CallId> for String {
    fn from(value: CallId) -> Self {
        value.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::CallId;

    #[test]
    fn gateways_ids_parse() {
        for id in [
            "CA0123456789abcdef0123456789abcdef",
            "5b3a4c2e-1f0d-4e8a-9b7c-6d5e4f3a2b1c",
            "1234567890.123",
            "exotel-call_903",
            &"a".repeat(64),
        ] {
            assert_eq!(CallId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn ids_with_spaces_markup_or_no_end_are_refused() {
        for bad in ["", "CA 123", "CA123\n", "../etc", "a<b", "a&b", "\"a\"", "é", &"a".repeat(65), &"a".repeat(500)] {
            assert!(CallId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn call_ids_serialise_as_the_plain_string_stored_before() {
        let id = CallId::parse("CA00000000000000000000000000000001").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""CA00000000000000000000000000000001""#);
        assert_eq!(serde_json::from_str::<CallId>(r#""CA00000000000000000000000000000001""#).unwrap(), id);
        assert!(serde_json::from_str::<CallId>(r#""CA 1""#).is_err());
    }
}
