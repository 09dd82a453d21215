//! The caller's voice message: its player on the case page, and
//! `/cases/{id}/recording`, which fetches it from the gateway.
//!
//! A message that cannot be fetched says so. One Sampark may not fetch (a
//! host that is not the gateway's, no gateway to tell) is named on the page
//! instead of a player; one the gateway fails to give (404, a stall, a
//! connection that breaks off, a page instead of audio) is fetched whole
//! before it is played, so `/cases/{id}/recording` answers 502 or 504 with
//! the reason in words rather than a player that stops halfway, and the
//! page shows a message when its player fails (`desk.js`), beside a link
//! that opens the answer itself (which works without a script).

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use maud::{Markup, html};
use tracing::{error, warn};

use crate::{
    gateway::Provider,
    http::{AppState, error::AppError, session::SignedIn},
    media::{FetchError, twilio_recording},
    queue::{CaseView, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/recording", get(recording))
}

/// What the case page can offer of a case's voice message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Voice {
    /// The caller left none.
    None,
    /// A player (which may still fail: the gateway is asked when it plays).
    Player,
    /// Sampark will not fetch it, and why.
    Refused(String),
}

/// The gateway that keeps the case's voice message, or why none may be
/// asked for it.
async fn gateway_of(app: &AppState, case: &CaseView) -> Result<Result<(Provider, String), String>, AppError> {
    let Some(url) = case.recording_url.clone() else { return Ok(Err("there is none".to_owned())) };
    let gateway = app.desk.queue().voice_message_gateway(case.id).await?;
    let Some(gateway) = gateway.as_deref().and_then(Provider::parse) else {
        warn!(case.id = case.id, "a voice message no call of its case brought in; not fetched");
        return Ok(Err("Sampark cannot tell which gateway keeps it".to_owned()));
    };
    Ok(match app.media.may_fetch(gateway, &url) {
        Ok(()) => Ok((gateway, url)),
        Err(e) => Err(e.to_string()),
    })
}

/// What the page shows of the case's voice message.
pub(super) async fn voice_of(app: &AppState, case: &CaseView) -> Result<Voice, AppError> {
    if case.recording_url.is_none() {
        return Ok(Voice::None);
    }
    Ok(match gateway_of(app, case).await? {
        Ok(_) => Voice::Player,
        Err(why) => Voice::Refused(why),
    })
}

/// The voice message's part of the case page.
pub(super) fn section(case_id: i64, voice: &Voice) -> Markup {
    let src = format!("/cases/{case_id}/recording");
    html! {
        @match voice {
            Voice::None => {},
            Voice::Player => {
                h2 { "आवाज़ संदेश · Voice message" }
                audio id="voice-message" controls preload="none" src=(src) {
                    a href=(src) { "आवाज़ संदेश खोलें · Open the voice message" }
                }
                p.error id="voice-message-error" role="alert" hidden {
                    "आवाज़ संदेश नहीं चल सका · The voice message could not be played. "
                    a href=(src) { "क्यों · Why" }
                }
                p.muted { a id="voice-message-link" href=(src) { "अलग से खोलें · Open it on its own" }
                    " (नहीं मिला तो कारण दिखेगा · says why if it cannot be fetched)" }
            },
            Voice::Refused(why) => {
                h2 { "आवाज़ संदेश · Voice message" }
                p.error id="voice-message-error" {
                    "आवाज़ संदेश नहीं मिल सकता · The voice message cannot be fetched: " (why) "."
                }
            },
        }
    }
}

/// The caller's voice message, fetched whole from the gateway for a
/// signed-in user allowed to see the case; every play is audited.
///
/// Fetched only from the recording hosts of the gateway whose call brought
/// the message in, never from an internal address, following no redirect
/// elsewhere ([`crate::media`]); Twilio's credentials only for the
/// account's recording resources at its API.
async fn recording(State(app): State<AppState>, who: SignedIn, Path(id): Path<i64>) -> Result<Response, AppError> {
    let case = app.desk.queue().case_view(&Scope::of(&who.user), id).await?.ok_or_else(no_such_case)?;
    if case.recording_url.is_none() {
        return Err(AppError::not_found("आवाज़ संदेश नहीं है · This case has no voice message."));
    }
    let (gateway, url) = match gateway_of(&app, &case).await? {
        Ok(found) => found,
        Err(why) => {
            warn!(case.id = id, error.message = %why, "refused to fetch a voice message");
            return Err(failed(StatusCode::BAD_GATEWAY, "was not fetched", &why));
        }
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
    match app.media.fetch_voice_message(gateway, &url, twilio_auth).await {
        Ok(message) => Ok((
            [(header::CONTENT_TYPE, message.content_type), (header::CACHE_CONTROL, "private, no-store".to_owned())],
            message.bytes,
        )
            .into_response()),
        Err(e @ (FetchError::NotAllowed { .. } | FetchError::PrivateAddress { .. } | FetchError::NotAUrl)) => {
            warn!(case.id = id, error.message = %e, "refused to fetch a voice message");
            Err(failed(StatusCode::BAD_GATEWAY, "was not fetched", &e.to_string()))
        }
        Err(e) => {
            error!(case.id = id, error.message = %e, "could not fetch the voice message");
            let status =
                if matches!(e, FetchError::TimedOut) { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
            Err(failed(status, "could not be fetched", &e.to_string()))
        }
    }
}

fn no_such_case() -> AppError {
    AppError::not_found("No such case")
}

/// 502 or 504: the gateway's voice message could not (or may not) be
/// fetched, and why, in words a volunteer reads in place of the player.
fn failed(status: StatusCode, what: &str, why: &str) -> AppError {
    AppError::status(status, format!("आवाज़ संदेश नहीं मिला · The voice message {what}: {why}."))
}
