//! "Call now" and the voice-message player.

use axum::{
    Form, Router,
    body::Body,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tracing::{error, warn};

use super::csrf_rejected;
use crate::{
    bridge::BridgeRequest,
    gateway::Provider,
    http::{AppState, internal, session::PageUser},
    media::{FetchError, twilio_recording},
    queue::{ClaimCheck, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/call", post(call_now)).route("/cases/{id}/recording", get(recording))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

fn back_with_error(id: i64, message: &str) -> Response {
    let query = serde_urlencoded::to_string([("error", message)]).unwrap_or_default();
    Redirect::to(&format!("/cases/{id}?{query}")).into_response()
}

/// Asks the gateway to ring the volunteer and bridge to the caller; the
/// attempt records the gateway's call id.
async fn call_now(
    State(app): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !who.csrf_ok(form.csrf.as_deref()) {
        return csrf_rejected();
    }
    let Some(bridge) = &app.bridge else {
        return back_with_error(id, "No gateway is set up for Call now: dial the number.");
    };
    let Some(volunteer) = who.user.phone.clone() else {
        return back_with_error(id, "आपका फ़ोन नंबर दर्ज नहीं है · Your phone number is not set: ask an admin.");
    };
    let scope = Scope::of(&who.user);
    let queue = app.desk.queue();
    let case = match queue.case_view(&scope, id).await {
        Ok(Some(case)) => case,
        Ok(None) => return (StatusCode::NOT_FOUND, "No such case").into_response(),
        Err(e) => return internal(&e),
    };
    let Some(caller) = case.phone.clone() else { return back_with_error(id, "The caller's number was withheld.") };
    let attempt = match queue.open_call_attempt(&scope, id, bridge.gateway(), app.desk.now()).await {
        Ok(Ok(attempt)) => attempt,
        Ok(Err(ClaimCheck::NotHeld)) => return Redirect::to("/?m=expired").into_response(),
        Ok(Err(_)) => return (StatusCode::NOT_FOUND, "No such case").into_response(),
        Err(e) => return internal(&e),
    };
    let request = BridgeRequest { volunteer: &volunteer, caller: &caller, attempt, public_url: &app.public_url };
    match bridge.call(&app.client, &request).await {
        Ok(call_id) => {
            if let Err(e) = queue.set_attempt_call_id(attempt, &call_id).await {
                return internal(&e);
            }
            if let Err(e) = app
                .desk
                .audit(&who.user, "call_now", Some(id), Some(format!("{} call {call_id}", bridge.gateway())))
                .await
            {
                return internal(&e);
            }
            Redirect::to(&format!("/cases/{id}")).into_response()
        }
        Err(e) => {
            warn!(error.message = %e, "Call now failed");
            back_with_error(id, &format!("कॉल नहीं लग सकी · The call could not be placed: {e}"))
        }
    }
}

/// The caller's voice message, fetched from the gateway for a signed-in
/// user allowed to see the case; every play is audited.
///
/// Fetched only from the recording hosts of the gateway whose call brought
/// the message in, never from an internal address, following no redirect
/// elsewhere ([`crate::media`]); Twilio's credentials only for the
/// account's recording resources at its API.
async fn recording(State(app): State<AppState>, PageUser(who): PageUser, Path(id): Path<i64>) -> Response {
    let case = match app.desk.queue().case_view(&Scope::of(&who.user), id).await {
        Ok(Some(case)) => case,
        Ok(None) => return (StatusCode::NOT_FOUND, "No such case").into_response(),
        Err(e) => return internal(&e),
    };
    let Some(url) = case.recording_url else { return (StatusCode::NOT_FOUND, "No voice message").into_response() };
    let gateway = match app.desk.queue().voice_message_gateway(id).await {
        Ok(gateway) => gateway.as_deref().and_then(Provider::parse),
        Err(e) => return internal(&e),
    };
    let Some(gateway) = gateway else {
        warn!(case.id = id, "a voice message no call of its case brought in; not fetched");
        return (StatusCode::BAD_GATEWAY, "Sampark cannot tell which gateway keeps this voice message.")
            .into_response();
    };
    if let Err(e) = app.desk.audit(&who.user, "play_recording", Some(id), None).await {
        return internal(&e);
    }
    let twilio_auth = match (&app.twilio_account_sid, &app.gateways.twilio_auth_token) {
        (Some(sid), Some(token))
            if gateway == Provider::Twilio && twilio_recording(&app.twilio_api_url, sid, &url).is_some() =>
        {
            Some((sid.as_str(), token.expose()))
        }
        _ => None,
    };
    match app.media.fetch(gateway, &url, twilio_auth).await {
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
            (StatusCode::BAD_GATEWAY, format!("The voice message was not fetched: {e}.")).into_response()
        }
        Err(e) => {
            error!(case.id = id, error.message = %e, "could not fetch the voice message");
            (StatusCode::BAD_GATEWAY, format!("The voice message could not be fetched: {e}.")).into_response()
        }
    }
}
