//! Plivo Voice: <https://www.plivo.com/docs/voice/xml/request>.
//!
//! Plivo follows our URLs like Twilio does: the number's Answer URL is
//! `/plivo/voice`, our `<GetInput>`/`<Record>` actions carry `?turn=N`, and
//! a `<Redirect>` to `?turn=N&timeout=1` follows every input element because
//! Plivo runs the next element when nothing was entered. We rely on
//! `CallUUID`, `From` (digits with country code, no `+`), `Digits`,
//! `CallStatus` (Hangup URL) and the recording's URL, which Plivo names
//! `RecordUrl` (we also accept `RecordingUrl`), with `RecordingDuration`
//! and `RecordingID`.

mod render;
mod signature;

pub use render::render;
pub use signature::{SignatureVersion, sign_v2, sign_v3, validate_v2, validate_v3};

use super::{GatewayError, Inbound, Params, Provider, Step, call_id, digits, param, request_hash};
use crate::{
    domain::PhoneNumber,
    flow::{CallEvent, EndReason, VoiceMessage},
};

/// Parses a request to `/plivo/voice` (the Answer URL and our action URLs).
pub fn parse_voice(query: &[(String, String)], form: &[(String, String)]) -> Result<Inbound, GatewayError> {
    let turn = match param(query, "turn")? {
        Some(t) => Some(t.parse::<u32>().map_err(|_| GatewayError::Invalid("turn"))?),
        None => None,
    };
    let event = if let Some(url) = recording_url(form)? {
        CallEvent::Recorded { message: voice_message(url, form)? }
    } else if turn.is_none() {
        CallEvent::Started
    } else if param(query, "timeout")?.is_some() {
        CallEvent::NoInput
    } else {
        match param(form, "Digits")?.filter(|d| !d.is_empty()) {
            Some(keys) => CallEvent::Digits { digits: digits(keys, "Digits")? },
            None => CallEvent::NoInput,
        }
    };
    inbound(form, query, Step::Turn(turn.unwrap_or(0)), event)
}

/// Parses the Hangup URL's request (`/plivo/status`): the call is over.
pub fn parse_hangup(form: &[(String, String)]) -> Result<Option<Inbound>, GatewayError> {
    let reason = match param(form, "CallStatus")?.unwrap_or("completed") {
        "completed" => EndReason::CallerHungUp,
        "busy" | "failed" | "timeout" | "no-answer" | "cancel" | "canceled" => EndReason::Failed,
        "ringing" | "in-progress" => return Ok(None),
        _ => return Err(GatewayError::Invalid("CallStatus")),
    };
    let step = Step::Callback { key: "status:hangup".to_owned() };
    inbound(form, &[], step, CallEvent::Ended { reason }).map(Some)
}

/// Parses the `<Record callbackUrl>` request (`/plivo/recording`).
pub fn parse_recording(form: &[(String, String)]) -> Result<Option<Inbound>, GatewayError> {
    let Some(url) = recording_url(form)? else { return Ok(None) };
    let message = voice_message(url, form)?;
    let id = param(form, "RecordingID")?.filter(|s| !s.is_empty()).unwrap_or(url);
    let step = Step::Callback { key: format!("recording:{id}") };
    inbound(form, &[], step, CallEvent::RecordingReady { message }).map(Some)
}

fn recording_url(form: &[(String, String)]) -> Result<Option<&str>, GatewayError> {
    let url = match param(form, "RecordUrl")? {
        Some(url) => Some(url),
        None => param(form, "RecordingUrl")?,
    };
    Ok(url.filter(|u| !u.is_empty()))
}

fn inbound(
    form: &[(String, String)],
    query: &[(String, String)],
    step: Step,
    event: CallEvent,
) -> Result<Inbound, GatewayError> {
    let call_id = call_id(form, "CallUUID")?;
    let caller = param(form, "From")?.and_then(PhoneNumber::parse);
    let mut all: Params = form.to_vec();
    all.extend(query.iter().cloned());
    Ok(Inbound { provider: Provider::Plivo, call_id, caller, step, event, request_hash: request_hash(&all) })
}

fn voice_message(url: &str, form: &[(String, String)]) -> Result<VoiceMessage, GatewayError> {
    let ok = url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://"));
    if !ok {
        return Err(GatewayError::Invalid("RecordUrl"));
    }
    let duration_secs = param(form, "RecordingDuration")?.and_then(|d| d.parse::<f64>().ok()).map(|d| d.round() as u32);
    Ok(VoiceMessage { url: url.to_owned(), duration_secs })
}

#[cfg(test)]
mod tests;
