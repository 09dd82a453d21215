//! How a gateway takes a caller's keys at a Gather, and so how many keys we
//! tell it to take.
//!
//! Every gateway submits a Gather when the caller presses its finish key,
//! when it has as many keys as it was told to take, or when the caller stops
//! pressing for the timeout. A key pressed after the Gather has submitted is
//! not lost: it is the first key of the next Gather (gateways.md §1.5, §3,
//! §4.1). So a question whose prompt says "enter the code, then press hash"
//! must not submit by itself at the code's full length: the caller's `#`
//! would reach the next question as an empty answer ("we did not hear any
//! key", a retry lost; issue 9, item 13).

/// How many keys a gateway takes at a Gather before it submits by itself.
///
/// Without a finish key (menus), the answer's length: one key submits at
/// once. With a finish key, one more than the longest answer, so the finish
/// key after a full-length code still ends *this* Gather, whether or not a
/// gateway counts the finish key among the keys it takes; an answer that is
/// too long still submits by itself, and is refused as invalid.
pub fn key_limit(max_digits: u8, finish_key: Option<char>) -> u8 {
    match finish_key {
        Some(_) => max_digits.saturating_add(1),
        None => max_digits,
    }
}

/// What one Gather took from the keys a caller pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken<'a> {
    /// The keys submitted, without the finish key (empty: no answer).
    pub digits: String,
    /// Keys pressed after the Gather submitted: the next Gather's first keys.
    pub rest: &'a str,
}

/// Feeds `keys` to a Gather that submits at `limit` keys or on `finish_key`,
/// as a gateway does. Keys that run out before either are submitted when
/// the caller stops pressing (the gateway's timeout).
pub fn take(keys: &str, limit: u8, finish_key: Option<char>) -> Taken<'_> {
    let mut digits = String::new();
    for (at, key) in keys.char_indices() {
        let after = at + key.len_utf8();
        if Some(key) == finish_key {
            return Taken { digits, rest: &keys[after..] };
        }
        digits.push(key);
        if digits.chars().count() >= usize::from(limit) {
            return Taken { digits, rest: &keys[after..] };
        }
    }
    Taken { digits, rest: "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_length_code_then_hash_is_one_answer() {
        let limit = key_limit(2, Some('#'));
        assert_eq!(take("09#", limit, Some('#')), Taken { digits: "09".to_owned(), rest: "" });
        assert_eq!(take("9#", limit, Some('#')), Taken { digits: "9".to_owned(), rest: "" });
        assert_eq!(take("9", limit, Some('#')), Taken { digits: "9".to_owned(), rest: "" }, "then the timeout");
        assert_eq!(take("099", limit, Some('#')).digits, "099", "too long: submitted, then refused");
    }

    #[test]
    fn keys_after_a_gather_submits_go_to_the_next_one() {
        assert_eq!(take("09#", 2, Some('#')), Taken { digits: "09".to_owned(), rest: "#" });
        assert_eq!(take("12", key_limit(1, None), None), Taken { digits: "1".to_owned(), rest: "2" });
        assert_eq!(take("#", 3, Some('#')), Taken { digits: String::new(), rest: "" }, "a lone hash: no answer");
    }
}
