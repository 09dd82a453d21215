//! The neutral model between gateways and the engine: events in, actions out,
//! and the state a call carries between webhooks.

use serde::{Deserialize, Serialize};

use crate::{
    domain::{Digits, DistrictCode, Language, Need, PhoneNumber, StateCode},
    prompts::Prompt,
};

/// Something that happened on a call, as reported by a gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    /// A new call reached us.
    Started,
    /// The caller keyed digits (finish key already removed by the adapter).
    Digits { digits: Digits },
    /// The caller keyed nothing before the timeout, or only the finish key.
    NoInput,
    /// A voice message was recorded and the call goes on.
    Recorded { message: VoiceMessage },
    /// A recording became available after the fact (a recording callback).
    /// It may arrive after the call has ended.
    RecordingReady { message: VoiceMessage },
    /// The gateway says the call is over.
    Ended { reason: EndReason },
}

impl CallEvent {
    /// A short name for logs and the event table.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Digits { .. } => "digits",
            Self::NoInput => "no_input",
            Self::Recorded { .. } => "recorded",
            Self::RecordingReady { .. } => "recording_ready",
            Self::Ended { .. } => "ended",
        }
    }
}

/// A caller's voice message, kept where the gateway stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceMessage {
    pub url: String,
    pub duration_secs: Option<u32>,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The flow reached an end node and hung up.
    FlowEnded,
    /// The gateway reported the call complete before the flow ended: the
    /// caller hung up.
    CallerHungUp,
    /// The gateway reported the call failed, busy, unanswered or cancelled.
    Failed,
    /// No webhook arrived for too long; the sweeper closed the call.
    Abandoned,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FlowEnded => "flow_ended",
            Self::CallerHungUp => "caller_hung_up",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
        }
    }
}

/// What the caller told us so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub language: Option<Language>,
    pub consent: Option<bool>,
    pub home_state: Option<StateCode>,
    pub home_district: Option<DistrictCode>,
    pub need: Option<Need>,
    pub voice_message: Option<VoiceMessage>,
    /// The six-digit PIN code keyed, once its post office was read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<u32>,
    /// The district and village said aloud, when the caller could not pick
    /// the district: a volunteer listens and codes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_message: Option<VoiceMessage>,
    /// Another number to be called back on (a shared phone's owner may
    /// not be the caller): keyed, read back and confirmed. Left out of the
    /// stored state while unset, so states stored before it read back and
    /// are written back byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_number: Option<PhoneNumber>,
}

impl Captured {
    /// A recording reported after the fact: the place recording when it is
    /// that one (same address), else the voice message.
    pub fn recording_ready(&mut self, message: &VoiceMessage) {
        match &mut self.place_message {
            Some(place) if place.url == message.url => *place = message.clone(),
            _ => self.voice_message = Some(message.clone()),
        }
    }
}

/// How a call ended, and whether it goes to the callback queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ending {
    pub reason: EndReason,
    pub queue: bool,
}

/// A call's state between webhooks. It is saved with every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallState {
    /// The node whose question is being asked (or the end node reached).
    pub node: String,
    /// Failed answers to the current node's question so far.
    pub attempts: u8,
    pub data: Captured,
    /// Set once the call is over; a terminal state absorbs later events.
    pub ended: Option<Ending>,
    /// The home states the caller's number suggests, most likely first (its
    /// telecom circle's): offered by a `guess_state` node, never taken as
    /// an answer by itself. Empty for a withheld or unknown number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guess: Vec<StateCode>,
    /// The page of a list of names being read (0: the first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub page: u8,
    /// What the page being read offers, key 1 first: state or district
    /// codes, or indices into the flow's languages. Kept so that a key
    /// means what the caller heard, even if the order changed meanwhile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<u16>,
}

fn is_zero(page: &u8) -> bool {
    *page == 0
}

/// What the gateway should do next, in no gateway's dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Play these prompts, then carry on with the next action.
    Play { prompts: Vec<Prompt> },
    /// Play the prompts while listening for keys; report the keys or no input.
    Gather { prompts: Vec<Prompt>, max_digits: u8, finish_key: Option<char>, timeout_secs: u32 },
    /// Play the prompts, beep, and record a voice message.
    Record { prompts: Vec<Prompt>, max_length_secs: u32, silence_secs: u32, finish_key: Option<char> },
    /// End the call.
    Hangup,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call state as main stored it before codes had types of their own
    /// (the calls table's `state` column): a call in progress across an
    /// upgrade reads back as it was and is written back byte for byte.
    const STORED_STATE: &str = r#"{"node":"confirm_district","attempts":1,"data":{"language":"hi","consent":true,"home_state":10,"home_district":212,"need":"medical","voice_message":{"url":"https://rec.example/1","duration_secs":9}},"ended":null}"#;

    #[test]
    fn a_call_state_stored_before_the_code_types_reads_back_unchanged() {
        let state: CallState = serde_json::from_str(STORED_STATE).unwrap();
        assert_eq!(state.data.home_state.map(StateCode::get), Some(10));
        assert_eq!(state.data.home_district.map(DistrictCode::get), Some(212));
        assert_eq!(state.data.need, Some(Need::Medical));
        assert_eq!(serde_json::to_string(&state).unwrap(), STORED_STATE);
    }

    #[test]
    fn a_callback_number_is_stored_only_when_given() {
        let mut state: CallState = serde_json::from_str(STORED_STATE).unwrap();
        assert_eq!(state.data.callback_number, None);
        state.data.callback_number = PhoneNumber::indian_mobile("6000000001");
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#""callback_number":"+916000000001""#), "{json}");
        assert_eq!(serde_json::from_str::<CallState>(&json).unwrap(), state);
        let bad = json.replace("+916000000001", "6000000001");
        assert!(serde_json::from_str::<CallState>(&bad).is_err(), "not E.164: refused");
    }

    #[test]
    fn a_stored_state_with_an_impossible_code_is_refused_not_truncated() {
        for bad in [r#""home_state":300"#, r#""home_state":0"#, r#""home_state":"10""#] {
            let json = STORED_STATE.replace(r#""home_state":10"#, bad);
            assert!(serde_json::from_str::<CallState>(&json).is_err(), "{bad}");
        }
        let json = STORED_STATE.replace(r#""home_district":212"#, r#""home_district":0"#);
        assert!(serde_json::from_str::<CallState>(&json).is_err());
    }
}
