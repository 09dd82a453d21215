//! Cases: one per caller, the unit of the callback queue.
//!
//! A call that ends folds into its caller's open case (found by phone
//! number), or opens one. Repeat calls keep the case's place in line (its
//! `first_call_at`). What a call captured is kept only with the caller's
//! consent: a caller who declines, or never answers the consent question, is
//! still queued for a callback, with the phone number and language only.
//!
//! A repeat call never replaces a known answer with nothing: the case keeps
//! what earlier calls gave for every question the call did not answer. An
//! answer given differently is the case's answer from then on (the latest
//! given), and every answer given stays in the case's log with its call
//! (`answers.rs`) for the volunteer to see beside the current one. A new
//! home state without a district leaves the case's district unknown: a
//! district of the old state is not kept as if it were in the new one; it
//! stays in the log, shown as an earlier answer with its state.

pub mod answers;
mod export;
pub(crate) mod group;
mod places;
mod retention;
pub mod store;

pub use export::{ExportFormat, write_export};
pub use places::RANKING_DAYS;
pub(crate) use retention::gateway_of_voice_message;
pub use retention::{Purged, PurgedRecording};
pub use store::CaseStore;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    domain::{DistrictCode, Need, StateCode},
    flow::Captured,
};

/// A case's place in the queue: medical need first (0), then the rest (1);
/// within each, the longest waiting by first call.
pub fn priority(fields: &Captured) -> i64 {
    if fields.need == Some(Need::Medical) { 0 } else { 1 }
}

/// Folds what one call captured into what the case already holds.
///
/// `latest` is false when a newer call has folded in since (a late recording
/// of an older call): then the call only fills gaps.
pub fn merge(case: &Captured, call: &Captured, latest: bool) -> Captured {
    if !latest {
        return fill_gaps(case, call);
    }
    let language = call.language.clone().or_else(|| case.language.clone());
    match call.consent {
        Some(false) => Captured { language, consent: Some(false), ..Captured::default() },
        None => Captured { language, ..case.clone() },
        Some(true) => {
            let same_state = call.home_state.is_none() || call.home_state == case.home_state;
            let home_district = match call.home_district {
                Some(d) => Some(d),
                None if same_state => case.home_district,
                None => None,
            };
            Captured {
                language,
                consent: Some(true),
                home_state: call.home_state.or(case.home_state),
                home_district,
                need: call.need.or(case.need),
                voice_message: call.voice_message.clone().or_else(|| case.voice_message.clone()),
                pin: call.pin.or(case.pin),
                place_message: call.place_message.clone().or_else(|| case.place_message.clone()),
                callback_number: call.callback_number.clone().or_else(|| case.callback_number.clone()),
            }
        }
    }
}

fn fill_gaps(case: &Captured, call: &Captured) -> Captured {
    let mut merged = case.clone();
    merged.language = merged.language.or_else(|| call.language.clone());
    if case.consent == Some(true) && call.consent == Some(true) {
        merged.voice_message = merged.voice_message.or_else(|| call.voice_message.clone());
        merged.place_message = merged.place_message.or_else(|| call.place_message.clone());
        merged.pin = merged.pin.or(call.pin);
        merged.need = merged.need.or(call.need);
        merged.callback_number = merged.callback_number.or_else(|| call.callback_number.clone());
        if merged.home_state.is_none() {
            merged.home_state = call.home_state;
            merged.home_district = call.home_district;
        }
    }
    merged
}

/// A case as exported: the data state units share with the central office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CaseRecord {
    pub id: i64,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub consent: Option<bool>,
    pub home_state_code: Option<StateCode>,
    pub home_district_code: Option<DistrictCode>,
    pub need: Option<String>,
    pub recording_url: Option<String>,
    /// The PIN code the caller keyed (read back with its post office), or a volunteer wrote down.
    pub pin_code: Option<String>,
    /// The district and village said aloud, for a volunteer to code.
    pub place_recording_url: Option<String>,
    pub status: String,
    pub calls: i64,
    #[serde(serialize_with = "rfc3339")]
    pub first_call_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub last_call_at: DateTime<Utc>,
    /// Another number the caller asked to be called back on: call it first.
    pub callback_phone: Option<String>,
}

/// Timestamps in exports: RFC 3339, UTC, whole seconds (`2026-11-28T09:30:00Z`).
pub fn format_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::Language, flow::VoiceMessage};

    fn state(code: u8) -> Option<StateCode> {
        Some(StateCode::new(code).unwrap())
    }

    fn district(code: u16) -> Option<DistrictCode> {
        Some(DistrictCode::new(code).unwrap())
    }

    fn full(state_code: u8, district_code: u16) -> Captured {
        Captured {
            language: Some(Language::parse("hi").unwrap()),
            consent: Some(true),
            home_state: state(state_code),
            home_district: district(district_code),
            need: Some(Need::Food),
            voice_message: Some(VoiceMessage { url: "https://r/1".to_owned(), duration_secs: Some(3) }),
            ..Captured::default()
        }
    }

    fn number(keyed: &str) -> Option<crate::domain::PhoneNumber> {
        crate::domain::PhoneNumber::indian_mobile(keyed)
    }

    #[test]
    fn a_callback_number_is_never_replaced_by_nothing() {
        let case = Captured { callback_number: number("6000000001"), ..full(10, 212) };
        let again = Captured { home_district: None, need: None, voice_message: None, ..full(10, 212) };
        assert_eq!(merge(&case, &again, true).callback_number, number("6000000001"), "a repeat call without one");
        let silent = Captured { language: Some(Language::parse("hi").unwrap()), ..Captured::default() };
        assert_eq!(merge(&case, &silent, true).callback_number, number("6000000001"), "a silent repeat call");
        let other = Captured { callback_number: number("8000000002"), ..again.clone() };
        assert_eq!(merge(&case, &other, true).callback_number, number("8000000002"), "the latest given");
        let older = Captured { callback_number: number("6000000003"), ..full(10, 212) };
        assert_eq!(merge(&case, &older, false).callback_number, number("6000000001"), "an older call fills gaps");
        let none = Captured { callback_number: None, ..full(10, 212) };
        assert_eq!(merge(&none, &older, false).callback_number, number("6000000003"));
    }

    #[test]
    fn a_repeat_call_with_a_state_but_no_district_keeps_the_district() {
        let again = Captured { home_district: None, need: None, voice_message: None, ..full(10, 212) };
        let merged = merge(&full(10, 212), &again, true);
        assert_eq!((merged.home_state, merged.home_district), (state(10), district(212)));
        let other_district = Captured { need: None, ..full(10, 213) };
        assert_eq!(merge(&full(10, 212), &other_district, true).home_district, district(213), "the latest given");
    }

    #[test]
    fn declining_consent_keeps_only_the_language() {
        let call = Captured { consent: Some(false), language: Some(Language::parse("bn").unwrap()), ..full(10, 212) };
        let merged = merge(&Captured::default(), &call, true);
        assert_eq!(merged, Captured { language: call.language.clone(), consent: Some(false), ..Captured::default() });
    }

    #[test]
    fn a_later_decline_erases_what_an_earlier_call_gave() {
        let declined = Captured { consent: Some(false), ..Captured::default() };
        let merged = merge(&full(10, 212), &declined, true);
        assert_eq!(merged.home_state, None);
        assert_eq!(merged.voice_message, None);
        assert_eq!(merged.language.unwrap().as_str(), "hi");
    }

    #[test]
    fn a_silent_repeat_call_keeps_what_the_case_has() {
        let silent = Captured { language: Some(Language::parse("hi").unwrap()), ..Captured::default() };
        assert_eq!(merge(&full(10, 212), &silent, true), full(10, 212));
    }

    #[test]
    fn a_new_state_without_a_district_drops_the_old_district() {
        let moved = Captured { home_state: state(19), home_district: None, ..full(19, 305) };
        let merged = merge(&full(10, 212), &moved, true);
        assert_eq!((merged.home_state, merged.home_district), (state(19), None));
        let same = Captured { home_district: None, need: None, voice_message: None, ..full(10, 213) };
        let merged = merge(&full(10, 212), &same, true);
        assert_eq!((merged.home_state, merged.home_district), (state(10), district(212)));
        assert_eq!(merged.need, Some(Need::Food));
    }

    #[test]
    fn medical_need_comes_first() {
        assert_eq!(priority(&Captured { need: Some(Need::Medical), ..full(10, 212) }), 0);
        assert_eq!(priority(&full(10, 212)), 1);
        assert_eq!(priority(&Captured::default()), 1);
    }

    #[test]
    fn an_older_call_only_fills_gaps() {
        let case = Captured { voice_message: None, ..full(10, 212) };
        let older = full(19, 305);
        let merged = merge(&case, &older, false);
        assert_eq!(merged.home_state, state(10));
        assert!(merged.voice_message.is_some());
    }
}
