//! Twilio Programmable Voice: the reference dialect (TwiML).
//!
//! Requests: <https://www.twilio.com/docs/usage/webhooks/voice-webhooks>.
//! We rely on `CallSid`, `From`, `Digits` (the finish key is not included),
//! `RecordingUrl`/`RecordingDuration` (Record action and recording status
//! callback), `RecordingSid`, `RecordingStatus` and `CallStatus`.
//!
//! Our action URLs carry the call's turn (`?turn=N`), so a retried request is
//! recognised as the same turn. A `<Gather>` that times out does not call its
//! action: Twilio runs the next verb, so every Gather and Record is followed
//! by a `<Redirect>` to `?turn=N&timeout=1`, which we read as "no input".

mod render;
mod signature;

pub use render::{render, render_bridge};
pub use signature::{sign, validate};

use super::{GatewayError, Inbound, Params, Provider, Step, call_id, digits, param, request_hash};
use crate::{
    domain::PhoneNumber,
    flow::{CallEvent, EndReason, VoiceMessage},
};

/// Parses a request to `/twilio/voice` (the number's voice URL, and every
/// action and redirect URL we hand out). `query` is our own URL's query.
pub fn parse_voice(query: &[(String, String)], form: &[(String, String)]) -> Result<Inbound, GatewayError> {
    let turn = match param(query, "turn")? {
        Some(t) => Some(t.parse::<u32>().map_err(|_| GatewayError::Invalid("turn"))?),
        None => None,
    };
    let timed_out = param(query, "timeout")?.is_some();
    let event = if let Some(url) = param(form, "RecordingUrl")?.filter(|u| !u.is_empty()) {
        CallEvent::Recorded { message: voice_message(url, form)? }
    } else if turn.is_none() {
        CallEvent::Started
    } else if timed_out {
        CallEvent::NoInput
    } else {
        match param(form, "Digits")?.filter(|d| !d.is_empty()) {
            Some(keys) => CallEvent::Digits { digits: digits(keys, "Digits")? },
            None => CallEvent::NoInput,
        }
    };
    inbound(form, query, Step::Turn(turn.unwrap_or(0)), event)
}

/// Parses a call status callback (`/twilio/status`). `Ok(None)` for statuses
/// that do not end the call (`ringing`, `in-progress`, …).
pub fn parse_status(form: &[(String, String)]) -> Result<Option<Inbound>, GatewayError> {
    let status = param(form, "CallStatus")?.filter(|s| !s.is_empty()).ok_or(GatewayError::Missing("CallStatus"))?;
    // https://www.twilio.com/docs/voice/api/call-resource#call-status-values
    let reason = match status {
        "completed" => EndReason::CallerHungUp,
        "busy" | "no-answer" | "canceled" | "failed" => EndReason::Failed,
        "queued" | "initiated" | "ringing" | "in-progress" => return Ok(None),
        _ => return Err(GatewayError::Invalid("CallStatus")),
    };
    let step = Step::Callback { key: format!("status:{status}") };
    inbound(form, &[], step, CallEvent::Ended { reason }).map(Some)
}

/// Parses a recording status callback (`/twilio/recording`). `Ok(None)` for
/// statuses other than `completed` (no file to keep).
pub fn parse_recording(form: &[(String, String)]) -> Result<Option<Inbound>, GatewayError> {
    if param(form, "RecordingStatus")? != Some("completed") {
        return Ok(None);
    }
    let url = param(form, "RecordingUrl")?.filter(|u| !u.is_empty()).ok_or(GatewayError::Missing("RecordingUrl"))?;
    let message = voice_message(url, form)?;
    let sid = param(form, "RecordingSid")?.filter(|s| !s.is_empty()).unwrap_or(url);
    let step = Step::Callback { key: format!("recording:{sid}") };
    inbound(form, &[], step, CallEvent::RecordingReady { message }).map(Some)
}

fn inbound(
    form: &[(String, String)],
    query: &[(String, String)],
    step: Step,
    event: CallEvent,
) -> Result<Inbound, GatewayError> {
    let call_id = call_id(form, "CallSid")?;
    let caller = param(form, "From")?.and_then(PhoneNumber::parse);
    let mut all: Params = form.to_vec();
    all.extend(query.iter().cloned());
    Ok(Inbound { provider: Provider::Twilio, call_id, caller, step, event, request_hash: request_hash(&all) })
}

fn voice_message(url: &str, form: &[(String, String)]) -> Result<VoiceMessage, GatewayError> {
    let ok = url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://"));
    if !ok {
        return Err(GatewayError::Invalid("RecordingUrl"));
    }
    let duration_secs = param(form, "RecordingDuration")?.and_then(|d| d.parse().ok());
    Ok(VoiceMessage { url: url.to_owned(), duration_secs })
}

#[cfg(test)]
mod tests;
