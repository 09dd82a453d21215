//! Exotel: call flows are built from applets in Exotel's dashboard, so
//! Sampark serves the applets that call out, for one generic app that runs
//! any Sampark flow (docs/gateways/exotel.md shows how to build it):
//!
//! ```text
//! start → Gather "question" ──digits──▶ Passthru "answer" ─200─▶ Passthru "next" ─200─▶ Gather "question"
//!              ▲                              │ 302                    │ 302
//!              │                              ▼                        ▼
//!              │                     Greeting "words" → Hangup   Greeting "words" → Voicemail ─▶ Passthru "answer"
//! ```
//!
//! - Gather (dynamic URL, GET `…/gather`): JSON with the question's prompt
//!   and digit settings. The first one of a call starts it.
//! - Passthru "answer" (GET `…/passthru`): the caller's keys arrive as
//!   `digits`, wrapped in double quotes; a voice message as `RecordingUrl`.
//!   The flow engine takes the answer; the HTTP status picks the branch:
//!   200 the call goes on, 302 it is over.
//! - Passthru "next" (GET `…/next`): 200 the next step is a question, 302 a
//!   voice message.
//! - Greeting (GET and HEAD `…/greeting`, `text/plain`): the words before a
//!   voice message or the last words, as audio URLs one per line, or text.
//!
//! Every answer to a question is a Passthru on a fixed URL, so requests
//! cannot name their turn: a request identical to the call's last answer
//! (its parameters include `CurrentTime`) within [`RETRY_WINDOW`] is a retry.
//! Callers arrive as `0` + ten digits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{GatewayError, Inbound, Provider, Step, param, request_hash};
use crate::{
    domain::{CallId, PhoneNumber},
    flow::{Action, CallEvent, EndReason, Prompt, VoiceMessage},
    prompts::PromptVoice,
};

/// How soon an identical Passthru request counts as a retry.
pub const RETRY_WINDOW: Duration = Duration::from_secs(60);

/// What the generic app does after an answer: the reply we store for each
/// turn, from which the Gather, Passthru "next" and Greeting applets are served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum NextStep {
    Gather { gather: GatherApplet },
    Record { greeting: String },
    End { greeting: String },
}

/// The Gather applet's dynamic configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatherApplet {
    pub gather_prompt: PromptBody,
    pub max_input_digits: u8,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finish_on_key: Option<String>,
    pub input_timeout: u32,
}

/// A prompt for an applet: one audio URL, or text for Exotel's speech.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PromptBody {
    Audio { audio_url: String },
    Text { text: String },
}

impl NextStep {
    /// Reads a stored reply back.
    pub fn parse(body: &str) -> Option<Self> {
        serde_json::from_str(body).ok()
    }

    /// The Gather applet's JSON for this step. A step that is not a question
    /// still gets a (one-key) Gather, so a confused app moves on to the
    /// Passthru, which then ends the call.
    pub fn gather_json(&self) -> String {
        let applet = match self {
            Self::Gather { gather } => gather.clone(),
            Self::Record { greeting } | Self::End { greeting } => GatherApplet {
                gather_prompt: PromptBody::Text { text: greeting.clone() },
                max_input_digits: 1,
                finish_on_key: None,
                input_timeout: 1,
            },
        };
        serde_json::to_string(&applet).expect("applet JSON serialises")
    }

    /// The Greeting applet's text/plain body for this step.
    pub fn greeting(&self) -> &str {
        match self {
            Self::Record { greeting } | Self::End { greeting } => greeting,
            Self::Gather { .. } => "",
        }
    }
}

/// Renders actions as the next step of the generic app (stored as JSON).
pub fn render(actions: &[Action], voice: &PromptVoice) -> String {
    let mut lead: Vec<Prompt> = Vec::new();
    let mut step = None;
    for action in actions {
        match action {
            Action::Play { prompts } => lead.extend(prompts.iter().cloned()),
            Action::Gather { prompts, max_digits, finish_key, timeout_secs } => {
                lead.extend(prompts.iter().cloned());
                let gather = GatherApplet {
                    gather_prompt: prompt_body(voice, &lead),
                    // With a finish key, room for it after a full-length code.
                    max_input_digits: crate::flow::keypad::key_limit(*max_digits, *finish_key),
                    finish_on_key: finish_key.map(String::from),
                    input_timeout: *timeout_secs,
                };
                step = Some(NextStep::Gather { gather });
                break;
            }
            Action::Record { prompts, .. } => {
                lead.extend(prompts.iter().cloned());
                step = Some(NextStep::Record { greeting: greeting(voice, &lead) });
                break;
            }
            Action::Hangup => break,
        }
    }
    let step = step.unwrap_or_else(|| NextStep::End { greeting: greeting(voice, &lead) });
    serde_json::to_string(&step).expect("step JSON serialises")
}

fn prompt_body(voice: &PromptVoice, prompts: &[Prompt]) -> PromptBody {
    match voice.single_audio_url(prompts) {
        Some(audio_url) => PromptBody::Audio { audio_url },
        None => PromptBody::Text { text: text_of(voice, prompts) },
    }
}

/// Audio URLs one per line when every prompt is recorded, else the words.
fn greeting(voice: &PromptVoice, prompts: &[Prompt]) -> String {
    let urls: Option<Vec<String>> = prompts
        .iter()
        .map(|p| match voice.speech(p) {
            Some(crate::prompts::Speech::Play { url }) => Some(url),
            _ => None,
        })
        .collect();
    match urls {
        Some(urls) if !urls.is_empty() => urls.join("\n"),
        _ => text_of(voice, prompts),
    }
}

fn text_of(voice: &PromptVoice, prompts: &[Prompt]) -> String {
    prompts.iter().filter_map(|p| voice.spoken_text(p)).collect::<Vec<_>>().join(" ")
}

fn caller(query: &[(String, String)]) -> Result<Option<PhoneNumber>, GatewayError> {
    let from = match param(query, "CallFrom")? {
        Some(from) => Some(from),
        None => param(query, "From")?,
    };
    Ok(from.and_then(PhoneNumber::parse))
}

fn inbound(query: &[(String, String)], step: Step, event: CallEvent) -> Result<Inbound, GatewayError> {
    Ok(Inbound {
        provider: Provider::Exotel,
        call_id: parse_call_id(query)?,
        caller: caller(query)?,
        step,
        event,
        request_hash: request_hash(query),
    })
}

/// The first Gather request of a call starts it.
pub fn parse_start(query: &[(String, String)]) -> Result<Inbound, GatewayError> {
    inbound(query, Step::Turn(0), CallEvent::Started)
}

/// The call a Gather, Passthru "next" or Greeting request is about.
pub fn parse_call_id(query: &[(String, String)]) -> Result<CallId, GatewayError> {
    super::call_id(query, "CallSid")
}

/// Passthru "answer": the caller's keys (quoted) after a Gather, or the
/// voice message after the Voicemail applet. Which one the call was waiting
/// for decides which parameter is read: Exotel may carry a `digits` or a
/// `RecordingUrl` over from an earlier applet.
pub fn parse_passthru(query: &[(String, String)], expecting_recording: bool) -> Result<Inbound, GatewayError> {
    let event = if expecting_recording {
        match param(query, "RecordingUrl")?.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let ok = url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://"));
                if !ok {
                    return Err(GatewayError::Invalid("RecordingUrl"));
                }
                CallEvent::Recorded { message: VoiceMessage { url: url.to_owned(), duration_secs: None } }
            }
            None => CallEvent::NoInput,
        }
    } else {
        let digits = unquote(param(query, "digits")?.unwrap_or(""));
        let digits = digits.strip_suffix('#').unwrap_or(digits);
        if digits.is_empty() {
            CallEvent::NoInput
        } else {
            CallEvent::Digits { digits: super::digits(digits, "digits")? }
        }
    };
    inbound(query, Step::CurrentTurn { retry_window: RETRY_WINDOW }, event)
}

/// `digits` arrive wrapped in literal double quotes: `"07"` → `07`.
fn unquote(value: &str) -> &str {
    let value = value.trim();
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value).trim()
}

/// Where an end-of-call request may carry the call's status, first found
/// first: status callbacks send `Status`; the end-of-call requests that
/// production integrations read carry `CallStatus`, else `DialCallStatus`
/// (with `CallType=call-attempt`; gateways.md §6.11).
const STATUS_NAMES: [&str; 3] = ["Status", "CallStatus", "DialCallStatus"];

/// A status callback or an end-of-call Passthru: the first known status of
/// `Status`, `CallStatus`, `DialCallStatus` (`completed`, `failed`, `busy`, `no-answer`,
/// `canceled`), else `CallType` (`completed`, `client-hangup`,
/// `incomplete`). Empty and the literal `null` are unknown. `Ok(None)` when
/// it does not end the call (a status still in progress, or none known).
pub fn parse_status(params: &[(String, String)]) -> Result<Option<Inbound>, GatewayError> {
    let mut status = None;
    for name in STATUS_NAMES {
        status = known(param(params, name)?);
        if status.is_some() {
            break;
        }
    }
    let status = match status {
        Some(status) => status,
        None => known(param(params, "CallType")?).unwrap_or_default(),
    };
    let reason = match status.as_str() {
        "completed" | "client-hangup" => EndReason::CallerHungUp,
        "failed" | "busy" | "no-answer" | "incomplete" | "canceled" | "cancelled" => EndReason::Failed,
        _ => return Ok(None),
    };
    let step = Step::Callback { key: format!("status:{status}") };
    inbound(params, step, CallEvent::Ended { reason }).map(Some)
}

/// A status value in lower case; `None` when empty or Exotel's `null`.
fn known(value: Option<&str>) -> Option<String> {
    let value = value?.trim().to_ascii_lowercase();
    (!value.is_empty() && value != "null").then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Digits;

    /// gateways.md §7.6, with fake numbers and ids.
    fn passthru_fixture() -> Vec<(String, String)> {
        let raw = "CallSid=0123456789abcdef0123456789abcdef&CallFrom=01000000001&CallTo=08000000002\
                   &Direction=incoming&Created=Wed%2C+31+Jul+2024+16%3A42%3A56&DialCallDuration=0\
                   &StartTime=2024-07-31+16%3A42%3A56&EndTime=1970-01-01+05%3A30%3A00&CallType=call-attempt\
                   &DialWhomNumber=&flow_id=11754&tenant_id=1409&From=01000000001&To=08000000002\
                   &CurrentTime=2024-07-31+16%3A43%3A02&digits=%2207%22";
        serde_urlencoded::from_str(raw).unwrap()
    }

    #[test]
    fn quoted_digits_and_a_zero_prefixed_number_parse() {
        let inbound = parse_passthru(&passthru_fixture(), false).unwrap();
        assert_eq!(inbound.event, CallEvent::Digits { digits: Digits::parse("07").unwrap() });
        assert_eq!(inbound.caller.unwrap().as_e164(), "+911000000001");
        assert_eq!(inbound.call_id.as_str(), "0123456789abcdef0123456789abcdef");
        assert!(matches!(inbound.step, Step::CurrentTurn { .. }));
    }

    #[test]
    fn empty_or_missing_digits_are_no_input() {
        for digits in ["%22%22", "", "%22%23%22"] {
            let query: Vec<(String, String)> =
                serde_urlencoded::from_str(&format!("CallSid=abc&digits={digits}")).unwrap();
            assert_eq!(parse_passthru(&query, false).unwrap().event, CallEvent::NoInput, "{digits}");
        }
        let query: Vec<(String, String)> = serde_urlencoded::from_str("CallSid=abc").unwrap();
        assert_eq!(parse_passthru(&query, false).unwrap().event, CallEvent::NoInput);
    }

    #[test]
    fn the_step_the_call_waits_for_decides_between_digits_and_a_recording() {
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str("CallSid=abc&digits=%221%22&RecordingUrl=https%3A%2F%2Fr.example%2F1.wav")
                .unwrap();
        assert_eq!(
            parse_passthru(&query, false).unwrap().event,
            CallEvent::Digits { digits: Digits::parse("1").unwrap() }
        );
        assert!(matches!(parse_passthru(&query, true).unwrap().event, CallEvent::Recorded { .. }));
    }

    #[test]
    fn a_call_attempt_passthru_is_not_a_hangup_but_client_hangup_is() {
        assert!(parse_status(&passthru_fixture()).unwrap().is_none());
        let query: Vec<(String, String)> = serde_urlencoded::from_str("CallSid=abc&CallType=client-hangup").unwrap();
        let inbound = parse_status(&query).unwrap().unwrap();
        assert_eq!(inbound.event, CallEvent::Ended { reason: EndReason::CallerHungUp });
    }

    fn status_of(raw: &str) -> Option<CallEvent> {
        let query: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap();
        parse_status(&query).unwrap().map(|inbound| inbound.event)
    }

    #[test]
    fn call_status_and_dial_call_status_end_the_call_and_null_is_unknown() {
        let hung_up = Some(CallEvent::Ended { reason: EndReason::CallerHungUp });
        let failed = Some(CallEvent::Ended { reason: EndReason::Failed });
        assert_eq!(status_of("CallSid=abc&CallType=call-attempt&CallStatus=completed"), hung_up);
        assert_eq!(status_of("CallSid=abc&CallType=call-attempt&CallStatus=null&DialCallStatus=busy"), failed);
        assert_eq!(status_of("CallSid=abc&CallType=call-attempt&DialCallStatus=no-answer"), failed);
        assert_eq!(status_of("CallSid=abc&Status=completed"), hung_up);
        assert_eq!(status_of("CallSid=abc&CallType=call-attempt&CallStatus=null&DialCallStatus=null"), None);
        assert_eq!(status_of("CallSid=abc&CallType=call-attempt&CallStatus=in-progress"), None);
        assert_eq!(status_of("CallSid=abc&CallStatus=null&CallType=client-hangup"), hung_up);
    }

    #[test]
    fn a_repeated_name_is_refused_not_resolved() {
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str("CallSid=abc&Status=completed&CallSid=other").unwrap();
        assert_eq!(parse_status(&query), Err(GatewayError::Repeated("CallSid")));
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str("CallSid=abc&digits=%221%22&digits=%222%22").unwrap();
        assert_eq!(parse_passthru(&query, false), Err(GatewayError::Repeated("digits")));
    }

    #[test]
    fn a_call_sid_with_spaces_or_500_characters_and_keys_that_are_no_keys_are_refused() {
        let long = "a".repeat(500);
        for sid in ["abc%20def", long.as_str()] {
            let query: Vec<(String, String)> =
                serde_urlencoded::from_str(&format!("CallSid={sid}&digits=%221%22")).unwrap();
            assert_eq!(parse_passthru(&query, false), Err(GatewayError::Invalid("CallSid")));
            assert_eq!(parse_call_id(&query), Err(GatewayError::Invalid("CallSid")));
            assert_eq!(parse_start(&query), Err(GatewayError::Invalid("CallSid")));
        }
        let query: Vec<(String, String)> = serde_urlencoded::from_str("CallSid=abc&digits=%2212a%22").unwrap();
        assert_eq!(parse_passthru(&query, false), Err(GatewayError::Invalid("digits")));
    }

    #[test]
    fn stored_steps_read_back() {
        let step = NextStep::Gather {
            gather: GatherApplet {
                gather_prompt: PromptBody::Audio { audio_url: "https://x/a.wav".to_owned() },
                max_input_digits: 2,
                finish_on_key: Some("#".to_owned()),
                input_timeout: 8,
            },
        };
        let json = serde_json::to_string(&step).unwrap();
        assert_eq!(NextStep::parse(&json), Some(step.clone()));
        assert!(step.gather_json().contains(r#""gather_prompt":{"audio_url":"https://x/a.wav"}"#));
    }
}
