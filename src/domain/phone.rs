//! Caller numbers, normalised to E.164.
//!
//! Gateways spell one Indian number four ways: `+911012345678` (Twilio),
//! `911012345678` (Plivo), `01012345678` (Exotel, KooKoo) and `1012345678`.
//! All become `+911012345678`, so a worker who calls twice over two gateways
//! has one case. Withheld numbers (Twilio's keypad-spelled sentinels, words such
//! as `anonymous`) are not phone numbers: [`PhoneNumber::parse`] returns `None`
//! and the caller still gets a case, just not one we can fold by number.

use std::fmt;

/// A callable phone number in E.164 form (`+` and 8–15 digits).
///
/// `Debug` and `Display` mask all but the last three digits, so a number that
/// reaches a log line by accident is not personal data. Use
/// [`PhoneNumber::as_e164`] where the full number is needed (storage, export).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Twilio's stand-ins for a hidden caller id, spelled on a keypad
/// (ANONYMOUS, RESTRICTED, UNAVAILABLE, BLOCKED).
const WITHHELD_SENTINELS: [&str; 4] = ["+266696687", "+7378742833", "+86282452253", "+2562533"];

impl PhoneNumber {
    /// Normalises a caller id from any gateway; `None` when it is withheld or
    /// is not a phone number at all (`client:alice`, `anonymous`, empty).
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw.trim();
        if WITHHELD_SENTINELS.contains(&trimmed) {
            return None;
        }
        let plus = trimmed.starts_with('+');
        let digits: String =
            trimmed.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).skip(usize::from(plus)).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let e164 = if plus { digits } else { Self::indian_to_e164(&digits)? };
        (8..=15).contains(&e164.len()).then(|| Self(format!("+{e164}")))
    }

    /// Domestic Indian spellings without `+`: ten digits, a trunk `0` before
    /// ten digits (mobiles and STD landlines alike), `91` or `0091` before them.
    fn indian_to_e164(digits: &str) -> Option<String> {
        let national = match digits.len() {
            10 if !digits.starts_with('0') => digits,
            11 if digits.starts_with('0') => &digits[1..],
            12 if digits.starts_with("91") => &digits[2..],
            14 if digits.starts_with("0091") => &digits[4..],
            _ => return None,
        };
        Some(format!("91{national}"))
    }

    /// The full number, `+` and digits. Only for storage and for people allowed to see it.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// A number keyed on the keypad as one to be called back on: ten digits
    /// of an Indian mobile number (the first 6–9), nothing before them.
    pub fn indian_mobile(keyed: &str) -> Option<Self> {
        let valid = keyed.len() == 10
            && keyed.bytes().all(|b| b.is_ascii_digit())
            && matches!(keyed.as_bytes()[0], b'6'..=b'9');
        valid.then(|| Self(format!("+91{keyed}")))
    }

    /// The digits after the country code of an Indian number (`+91`), as a
    /// caller keys them; the whole number without the `+` for any other.
    pub fn national_digits(&self) -> &str {
        self.0.strip_prefix("+91").unwrap_or(&self.0[1..])
    }

    /// The number with all but its last three digits hidden: `+91*******678`.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let keep = 3.min(digits.len());
        let country = if digits.starts_with("91") { "91" } else { "" };
        let hidden = digits.len() - keep - country.len();
        format!("+{country}{}{}", "*".repeat(hidden), &digits[digits.len() - keep..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// Stored as its E.164 spelling (a call's state, between webhooks); a
/// stored value that is not a number is refused, not kept.
impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        match Self::parse(&raw) {
            Some(phone) if phone.0 == raw => Ok(phone),
            _ => Err(serde::de::Error::custom("not a phone number in E.164 form")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PhoneNumber;

    #[test]
    fn a_keyed_callback_number_is_ten_digits_of_an_indian_mobile() {
        let phone = PhoneNumber::indian_mobile("6000000001").unwrap();
        assert_eq!((phone.as_e164(), phone.national_digits()), ("+916000000001", "6000000001"));
        for first in ['6', '7', '8'] {
            assert!(PhoneNumber::indian_mobile(&format!("{first}000000001")).is_some(), "{first}");
        }
        for wrong in ["5000000001", "1000000001", "0900000000", "900000000", "60000000012", "90000000*1", ""] {
            assert!(PhoneNumber::indian_mobile(wrong).is_none(), "{wrong}");
        }
    }

    #[test]
    fn a_number_is_stored_as_e164_and_nothing_else_reads_back() {
        let phone = PhoneNumber::indian_mobile("6000000001").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), r#""+916000000001""#);
        assert_eq!(serde_json::from_str::<PhoneNumber>(r#""+916000000001""#).unwrap(), phone);
        for bad in [r#""6000000001""#, r#""anonymous""#, "6000000001", r#""+91 6000000001""#] {
            assert!(serde_json::from_str::<PhoneNumber>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_indian_spelling_becomes_one_e164_number() {
        for raw in ["+911000000001", "911000000001", "01000000001", "1000000001", "+91 10000-00001", "00911000000001"] {
            let phone = PhoneNumber::parse(raw).unwrap_or_else(|| panic!("{raw} should parse"));
            assert_eq!(phone.as_e164(), "+911000000001", "{raw}");
        }
    }

    #[test]
    fn landline_with_std_code_keeps_its_code() {
        let phone = PhoneNumber::parse("08012345678").unwrap();
        assert_eq!(phone.as_e164(), "+918012345678");
    }

    #[test]
    fn withheld_and_non_numeric_caller_ids_are_not_numbers() {
        for raw in ["", "anonymous", "+266696687", "+7378742833", "client:alice", "12345", "+12"] {
            assert!(PhoneNumber::parse(raw).is_none(), "{raw}");
        }
    }

    #[test]
    fn foreign_e164_numbers_are_kept() {
        assert_eq!(PhoneNumber::parse("+12349013030").unwrap().as_e164(), "+12349013030");
    }

    #[test]
    fn display_and_debug_never_show_the_whole_number() {
        let phone = PhoneNumber::parse("+911012345678").unwrap();
        assert_eq!(phone.to_string(), "+91*******678");
        assert!(!format!("{phone:?}").contains("1012345678"));
    }
}
