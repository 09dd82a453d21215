//! "Call now" and the voice-message player.

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use tracing::{error, warn};

use crate::{
    bridge::BridgeRequest,
    gateway::Provider,
    http::{AppState, access::CsrfForm, error::AppError, session::SignedIn},
    media::{FetchError, twilio_recording},
    queue::{ClaimCheck, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/call", post(call_now)).route("/cases/{id}/recording", get(recording))
}

fn back_with_error(id: i64, message: &str) -> Response {
    let query = serde_urlencoded::to_string([("error", message)]).unwrap_or_default();
    Redirect::to(&format!("/cases/{id}?{query}")).into_response()
}

/// Asks the gateway to ring the volunteer and bridge to the caller; the
/// attempt records the gateway's call id.
async fn call_now(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(who, _): CsrfForm<SignedIn>,
) -> Result<Response, AppError> {
    let Some(bridge) = &app.bridge else {
        return Ok(back_with_error(id, "No gateway is set up for Call now: dial the number."));
    };
    let Some(volunteer) = who.user.phone.clone() else {
        return Ok(back_with_error(id, "आपका फ़ोन नंबर दर्ज नहीं है · Your phone number is not set: ask an admin."));
    };
    let scope = Scope::of(&who.user);
    let queue = app.desk.queue();
    let case = queue.case_view(&scope, id).await?.ok_or_else(no_such_case)?;
    let Some(caller) = case.phone.clone() else { return Ok(back_with_error(id, "The caller's number was withheld.")) };
    let attempt = match queue.open_call_attempt(&scope, id, bridge.gateway(), app.desk.now()).await? {
        Ok(attempt) => attempt,
        Err(ClaimCheck::NotHeld) => return Ok(Redirect::to("/?m=expired").into_response()),
        Err(_) => return Err(no_such_case()),
    };
    let request = BridgeRequest { volunteer: &volunteer, caller: &caller, attempt, public_url: &app.public_url };
    match bridge.call(&app.client, &request).await {
        Ok(call_id) => {
            queue.set_attempt_call_id(attempt, &call_id).await?;
            let details = format!("{} call {call_id}", bridge.gateway());
            app.desk.audit(&who.user, "call_now", Some(id), Some(details)).await?;
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(e) => {
            warn!(error.message = %e, "Call now failed");
            Ok(back_with_error(id, &format!("कॉल नहीं लग सकी · The call could not be placed: {e}")))
        }
    }
}

fn no_such_case() -> AppError {
    AppError::not_found("No such case")
}

/// The caller's voice message, fetched from the gateway for a signed-in
/// user allowed to see the case; every play is audited.
///
/// Fetched only from the recording hosts of the gateway whose call brought
/// the message in, never from an internal address, following no redirect
/// elsewhere ([`crate::media`]); Twilio's credentials only for the
/// account's recording resources at its API.
async fn recording(State(app): State<AppState>, who: SignedIn, Path(id): Path<i64>) -> Result<Response, AppError> {
    let case = app.desk.queue().case_view(&Scope::of(&who.user), id).await?.ok_or_else(no_such_case)?;
    let url = case.recording_url.ok_or_else(|| AppError::not_found("No voice message"))?;
    let gateway = app.desk.queue().voice_message_gateway(id).await?;
    let Some(gateway) = gateway.as_deref().and_then(Provider::parse) else {
        warn!(case.id = id, "a voice message no call of its case brought in; not fetched");
        return Err(bad_gateway("Sampark cannot tell which gateway keeps this voice message."));
    };
    app.desk.audit(&who.user, "play_recording", Some(id), None).await?;
    let twilio_auth = match (&app.twilio_account_sid, &app.gateways.twilio_auth_token) {
        (Some(sid), Some(token))
            if gateway == Provider::Twilio && twilio_recording(&app.twilio_api_url, sid, &url).is_some() =>
        {
            Some((sid.as_str(), token.expose()))
        }
        _ => None,
    };
    Ok(match app.media.fetch(gateway, &url, twilio_auth).await {
        Ok(upstream) => {
            let content_type = upstream
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .filter(|t| t.starts_with("audio/"))
                .unwrap_or("audio/wav")
                .to_owned();
            (
                [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "private, no-store".to_owned())],
                Body::from_stream(upstream.bytes_stream()),
            )
                .into_response()
        }
        Err(e @ (FetchError::NotAllowed { .. } | FetchError::PrivateAddress { .. } | FetchError::NotAUrl)) => {
            warn!(case.id = id, error.message = %e, "refused to fetch a voice message");
            return Err(bad_gateway(format!("The voice message was not fetched: {e}.")));
        }
        Err(e) => {
            error!(case.id = id, error.message = %e, "could not fetch the voice message");
            return Err(bad_gateway(format!("The voice message could not be fetched: {e}.")));
        }
    })
}

/// 502: the gateway's recording could not (or may not) be fetched.
fn bad_gateway(message: impl Into<std::borrow::Cow<'static, str>>) -> AppError {
    AppError::status(StatusCode::BAD_GATEWAY, message)
}
