//! Phone numbers as lists write them: spaces and dashes, `+91`, `91` or a
//! trunk `0` before ten digits, a label ("(M)", "Mob:"), two to a cell, a
//! float's ".0", Devanagari digits. A number a spreadsheet rounded into
//! scientific notation is refused, never guessed at.

use crate::domain::PhoneNumber;

/// Why a phone cell has no number that can be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhoneProblem {
    NotMobile,
    /// Rounded by a spreadsheet into scientific notation.
    Mangled,
}

/// The phone cell's number and a second one ("6000000001 / 6000000002");
/// none for a blank cell.
pub(super) fn phones(written: &str) -> Result<(Option<PhoneNumber>, Option<PhoneNumber>), PhoneProblem> {
    if written.is_empty() {
        return Ok((None, None));
    }
    if mangled(written) {
        return Err(PhoneProblem::Mangled);
    }
    let mut parts = written.split(['/', ',', ';', '|', '&']).map(str::trim).filter(|p| !p.is_empty());
    let first = parts.next().and_then(mobile).ok_or(PhoneProblem::NotMobile)?;
    let other = parts.next().and_then(mobile).filter(|other| *other != first);
    Ok((Some(first), other))
}

/// A number in scientific notation, as a spreadsheet shows a long number
/// it stores as a float ("9.87654E+09"): its last digits are gone.
fn mangled(written: &str) -> bool {
    let Some((mantissa, exponent)) = written.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.trim().split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa.trim()),
    };
    mantissa_ok && digits(exponent.trim())
}

/// Labels lists write beside a number: "(M)", "Mob:", "Ph.", "WhatsApp".
const LABELS: [&str; 12] = ["m", "mob", "mobile", "ph", "phone", "tel", "o", "r", "no", "cell", "whatsapp", "contact"];

/// One Indian mobile number as lists write it, or a number abroad written
/// with its `+` and country code.
fn mobile(part: &str) -> Option<PhoneNumber> {
    let ascii = ascii_digits(part.trim().trim_start_matches('\''));
    let lower = ascii.to_lowercase();
    let labelled =
        lower.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).all(|w| LABELS.contains(&w));
    if !labelled {
        return None;
    }
    let bare: String = lower.chars().filter(|c| !c.is_ascii_alphabetic()).collect();
    let bare = without_float_zero(bare.trim_matches([' ', ':', '.', '-']));
    let plus = bare.starts_with('+');
    let digits: String = bare.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | ':' | '+')).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || bare.matches('+').count() > usize::from(plus) {
        return None;
    }
    let national = match (plus, digits.len()) {
        (true, 12) if digits.starts_with("91") => &digits[2..],
        (true, _) if !digits.starts_with("91") => return PhoneNumber::parse(&format!("+{digits}")),
        (false, 10) => &digits,
        (false, 11) if digits.starts_with('0') => &digits[1..],
        (false, 12) if digits.starts_with("91") => &digits[2..],
        (false, 13) if digits.starts_with("091") => &digits[3..],
        (false, 14) if digits.starts_with("0091") => &digits[4..],
        _ => return None,
    };
    PhoneNumber::indian_mobile(national)
}

/// A whole number a spreadsheet wrote as a float: "6000000001.0".
pub(super) fn without_float_zero(text: &str) -> &str {
    match text.strip_suffix(".0") {
        Some(whole) if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) => whole,
        _ => text,
    }
}

/// Digits of the Devanagari, Bengali and Odia scripts as ASCII digits.
pub(super) fn ascii_digits(text: &str) -> String {
    text.chars().map(ascii_digit).collect()
}

fn ascii_digit(c: char) -> char {
    let code = u32::from(c);
    [0x0966, 0x09E6, 0x0B66]
        .into_iter()
        .find(|zero| (*zero..zero + 10).contains(&code))
        .and_then(|zero| char::from_digit(code - zero, 10))
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_notation_is_told_from_a_number() {
        for rounded in ["9.876543210E+09", "6E+09", "6.00e9", " 6.0E+09"] {
            assert!(mangled(rounded.trim()), "{rounded}");
        }
        for not in ["6000000001", "E+09", "6.0E", "6000000001 ext 9", "Mobile"] {
            assert!(!mangled(not), "{not}");
        }
    }

    #[test]
    fn script_digits_and_float_zeros() {
        assert_eq!(ascii_digits("৬০০০ ୬୦୦୦ ६०००"), "6000 6000 6000");
        assert_eq!(without_float_zero("841301.0"), "841301");
        assert_eq!(without_float_zero("8413.01"), "8413.01");
        assert_eq!(without_float_zero(".0"), ".0");
    }
}
