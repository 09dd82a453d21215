//! The caller's recordings: the voice message and the district and village
//! said aloud. Their players on the case page, and `/cases/{id}/recording`
//! and `/cases/{id}/place-recording`, which fetch them from the gateway.
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
    http::{AppState, access::Caseworker, error::AppError},
    media::{FetchError, twilio_recording},
    queue::{CaseView, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/recording", get(|app, who, id| recording(app, who, id, Recording::Message)))
        .route("/cases/{id}/place-recording", get(|app, who, id| recording(app, who, id, Recording::Place)))
}

/// Which of a case's recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recording {
    /// The voice message: who they are and what they need.
    Message,
    /// The district and village said aloud, when the caller could not pick them.
    Place,
}

impl Recording {
    fn url(self, case: &CaseView) -> Option<&String> {
        match self {
            Self::Message => case.recording_url.as_ref(),
            Self::Place => case.place_recording_url.as_ref(),
        }
    }

    fn path(self, case_id: i64) -> String {
        match self {
            Self::Message => format!("/cases/{case_id}/recording"),
            Self::Place => format!("/cases/{case_id}/place-recording"),
        }
    }

    /// The player's element id (`desk.js` shows `<id>-error` when it fails).
    fn id(self) -> &'static str {
        match self {
            Self::Message => "voice-message",
            Self::Place => "place-message",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Message => "आवाज़ संदेश · Voice message",
            Self::Place => "ज़िला और गाँव, बोलकर · District and village, said aloud",
        }
    }

    /// Its name in a sentence: Hindi, English.
    fn noun(self) -> (&'static str, &'static str) {
        match self {
            Self::Message => ("आवाज़ संदेश", "The voice message"),
            Self::Place => ("ज़िले और गाँव की रिकॉर्डिंग", "The recording of the district and village"),
        }
    }

    /// What the audit log calls a play of it.
    fn audited(self) -> &'static str {
        match self {
            Self::Message => "play_recording",
            Self::Place => "play_place_recording",
        }
    }
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
async fn gateway_of(
    app: &AppState,
    case: &CaseView,
    which: Recording,
) -> Result<Result<(Provider, String), String>, AppError> {
    let Some(url) = which.url(case).cloned() else { return Ok(Err("there is none".to_owned())) };
    let gateway = app.desk.queue().recording_gateway(case.id, &url).await?;
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
pub(super) async fn voice_of(app: &AppState, case: &CaseView, which: Recording) -> Result<Voice, AppError> {
    if which.url(case).is_none() {
        return Ok(Voice::None);
    }
    Ok(match gateway_of(app, case, which).await? {
        Ok(_) => Voice::Player,
        Err(why) => Voice::Refused(why),
    })
}

/// The voice message's part of the case page.
pub(super) fn section(case_id: i64, voice: &Voice, which: Recording) -> Markup {
    let src = which.path(case_id);
    let id = which.id();
    let (hi, en) = which.noun();
    html! {
        @match voice {
            Voice::None => {},
            Voice::Player => {
                h2 { (which.heading()) }
                audio id=(id) controls preload="none" src=(src) {
                    a href=(src) { (hi) " खोलें · Open " (en.to_lowercase()) }
                }
                p.error id={(id) "-error"} role="alert" hidden {
                    (hi) " नहीं चल सका · " (en) " could not be played. "
                    a href=(src) { "क्यों · Why" }
                }
                p.muted { a id={(id) "-link"} href=(src) { "अलग से खोलें · Open it on its own" }
                    " (नहीं मिला तो कारण दिखेगा · says why if it cannot be fetched)" }
            },
            Voice::Refused(why) => {
                h2 { (which.heading()) }
                p.error id={(id) "-error"} {
                    (hi) " नहीं मिल सकता · " (en) " cannot be fetched: " (why) "."
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
async fn recording(
    State(app): State<AppState>,
    Caseworker(who): Caseworker,
    Path(id): Path<i64>,
    which: Recording,
) -> Result<Response, AppError> {
    let case = app.desk.queue().case_view(&Scope::of(&who.user), id).await?.ok_or_else(no_such_case)?;
    if which.url(&case).is_none() {
        return Err(AppError::not_found("रिकॉर्डिंग नहीं है · This case has no such recording."));
    }
    let (gateway, url) = match gateway_of(&app, &case, which).await? {
        Ok(found) => found,
        Err(why) => {
            warn!(case.id = id, error.message = %why, "refused to fetch a voice message");
            return Err(failed(which, StatusCode::BAD_GATEWAY, "was not fetched", &why));
        }
    };
    app.desk.audit(&who.user, which.audited(), Some(id), None).await?;
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
            Err(failed(which, StatusCode::BAD_GATEWAY, "was not fetched", &e.to_string()))
        }
        Err(e) => {
            error!(case.id = id, error.message = %e, "could not fetch the voice message");
            let status =
                if matches!(e, FetchError::TimedOut) { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
            Err(failed(which, status, "could not be fetched", &e.to_string()))
        }
    }
}

fn no_such_case() -> AppError {
    AppError::not_found("No such case")
}

/// 502 or 504: the gateway's voice message could not (or may not) be
/// fetched, and why, in words a volunteer reads in place of the player.
fn failed(which: Recording, status: StatusCode, what: &str, why: &str) -> AppError {
    let (hi, en) = which.noun();
    AppError::status(status, format!("{hi} नहीं मिला · {en} {what}: {why}."))
}
