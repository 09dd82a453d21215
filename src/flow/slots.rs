//! What answers put in a call's record: the slots menus, lists and code
//! questions fill, checked against the directory where they are codes.

use super::{
    definition::{ListOf, Node, Slot, SlotValue},
    model::Captured,
};
use crate::{directory::Directory, domain::StateCode};

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
        _ => false,
    }
}
