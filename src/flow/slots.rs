//! What answers put in a call's record: the slots menus, lists and code
//! questions fill, checked against the directory where they are codes.

use super::{
    definition::{ListOf, Node, PromptRef, Slot, SlotValue},
    model::Captured,
};
use std::borrow::Cow;

use crate::{
    directory::Directory,
    domain::{PhoneNumber, StateCode},
    prompts::PromptKey,
};

pub(super) fn menu_slot(node: &Node) -> Option<Slot> {
    match node {
        Node::Menu { slot, .. } => *slot,
        Node::List { of: ListOf::Languages, .. } => Some(Slot::Language),
        _ => None,
    }
}

pub(super) fn set_slot(data: &mut Captured, slot: Slot, value: &SlotValue) {
    match (slot, value) {
        (Slot::Language, SlotValue::Language(l)) => data.language = Some(l.clone()),
        (Slot::Consent, SlotValue::Consent(c)) => data.consent = Some(*c),
        (Slot::Need, SlotValue::Need(n)) => data.need = Some(*n),
        _ => {}
    }
}

pub(super) fn clear_slot(data: &mut Captured, slot: Slot) {
    match slot {
        Slot::Language => data.language = None,
        Slot::Consent => data.consent = None,
        Slot::HomeState => {
            data.home_state = None;
            data.home_district = None;
        }
        Slot::HomeDistrict => data.home_district = None,
        Slot::Need => data.need = None,
        // The district came with the PIN code: not that one, not its district.
        Slot::Pin => {
            data.pin = None;
            data.home_district = None;
        }
        Slot::CallbackNumber => data.callback_number = None,
    }
}

/// A home state picked from a list: a district given for another state
/// no longer holds.
pub(super) fn choose_state(data: &mut Captured, chosen: StateCode) {
    if data.home_state != Some(chosen) {
        data.home_district = None;
    }
    data.home_state = Some(chosen);
}

/// Checks keyed digits against the directory and stores them; false when the
/// code is not a state, or not a district of the caller's state.
pub(super) fn collect(directory: &Directory, data: &mut Captured, slot: Slot, digits: &str) -> bool {
    match slot {
        Slot::HomeState => {
            let Some(state) = directory.state_from_digits(digits) else { return false };
            if data.home_state != Some(state.code) {
                data.home_district = None;
            }
            data.home_state = Some(state.code);
            true
        }
        Slot::HomeDistrict => {
            let Some(district) = directory.district_from_digits(digits, data.home_state) else { return false };
            data.home_district = Some(district.code);
            data.home_state = Some(district.state);
            true
        }
        Slot::Pin => {
            let Ok(pin) = crate::directory::look_up_pin(digits) else { return false };
            let (Some(district), Ok(number)) = (pin.district, digits.parse()) else { return false };
            let Some(district) = directory.district(district) else { return false };
            data.pin = Some(number);
            data.home_district = Some(district.code);
            data.home_state = Some(district.state);
            true
        }
        Slot::CallbackNumber => {
            let Some(number) = PhoneNumber::indian_mobile(digits) else { return false };
            data.callback_number = Some(number);
            true
        }
        _ => false,
    }
}

/// The prompts with a callback number read back (`{callback_number}`)
/// spelt out digit by digit: one catalog prompt each (`digit_0` …
/// `digit_9`, in the caller's language), so recordings can say them;
/// nothing while the number is unset.
pub(super) fn number_read_back<'a>(data: &Captured, refs: &'a [PromptRef]) -> Cow<'a, [PromptRef]> {
    if !refs.contains(&PromptRef::Slot(Slot::CallbackNumber)) {
        return Cow::Borrowed(refs);
    }
    let digits = data.callback_number.as_ref().map(PhoneNumber::national_digits).unwrap_or_default();
    let spelt = refs.iter().flat_map(|r| match r {
        PromptRef::Slot(Slot::CallbackNumber) => {
            digits.chars().filter_map(digit_key).map(|key| PromptRef::Catalog { key, language: None }).collect()
        }
        other => vec![other.clone()],
    });
    Cow::Owned(spelt.collect())
}

/// The catalog key that says one digit.
pub(super) fn digit_key(digit: char) -> Option<PromptKey> {
    digit.is_ascii_digit().then(|| PromptKey::parse(&format!("digit_{digit}")).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_number_is_ten_digits_of_a_mobile_and_is_read_back_digit_by_digit() {
        let mut data = Captured::default();
        for wrong in ["5000000001", "900000000", "60000000011"] {
            assert!(!collect(Directory::bundled(), &mut data, Slot::CallbackNumber, wrong), "{wrong}");
        }
        assert_eq!(data.callback_number, None);
        let before = PromptRef::Catalog { key: PromptKey::parse("number_readback").unwrap(), language: None };
        let refs = [before.clone(), PromptRef::Slot(Slot::CallbackNumber)];
        assert_eq!(
            number_read_back(&data, &refs).as_ref(),
            std::slice::from_ref(&before),
            "nothing keyed: nothing read"
        );
        assert!(collect(Directory::bundled(), &mut data, Slot::CallbackNumber, "6000000071"));
        let heard: Vec<String> = number_read_back(&data, &refs)
            .iter()
            .map(|r| match r {
                PromptRef::Catalog { key, language: None } => key.as_str().to_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        let mut expected = vec!["number_readback".to_owned()];
        expected.extend("6000000071".chars().map(|d| format!("digit_{d}")));
        assert_eq!(heard, expected);
        clear_slot(&mut data, Slot::CallbackNumber);
        assert_eq!(data.callback_number, None);
    }
}
