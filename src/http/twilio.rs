//! Twilio webhooks: `/twilio/voice` (the number's voice URL and every action
//! URL we hand out), `/twilio/status` (call status callbacks) and
//! `/twilio/recording` (recording status callbacks).
//!
//! With an auth token configured, every request must carry a valid
//! `X-Twilio-Signature` for the public URL, or it gets 403 and changes
//! nothing. The voice webhook always answers TwiML the caller can hear: on an
//! internal error, an apology and a hang-up (never a 500, which the caller
//! would hear as Twilio's "application error").

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, OriginalUri, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use tracing::warn;

use super::{AppState, Failed, bad_request, run_call};
use crate::{
    flow::Action,
    gateway::{GatewayError, Inbound, Params, Reply, twilio},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/status", post(status))
        .route("/twilio/recording", post(recording))
        .route("/twilio/bridge", post(bridge))
        .route("/twilio/bridge-status", post(bridge_status))
}

/// A Twilio request whose signature has been checked (when a token is set).
pub struct TwilioRequest {
    query: Params,
    form: Params,
}

impl FromRequest<AppState> for TwilioRequest {
    type Rejection = Response;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Response> {
        let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |u| u.0.clone());
        let signature = req.headers().get("X-Twilio-Signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = Bytes::from_request(req, app).await.map_err(IntoResponse::into_response)?;
        let form: Params = serde_urlencoded::from_bytes(&body)
            .map_err(|_| (StatusCode::BAD_REQUEST, "the body is not a URL-encoded form").into_response())?;
        if let Some(token) = &app.gateways.twilio_auth_token {
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let url = format!("{}{path}", app.public_url);
            let valid = signature.is_some_and(|s| twilio::validate(token.expose(), &url, &form, &s));
            if !valid {
                warn!(http.path = uri.path(), "rejected a request without a valid X-Twilio-Signature");
                crate::metrics::webhook("twilio", "rejected");
                return Err((StatusCode::FORBIDDEN, "invalid or missing X-Twilio-Signature").into_response());
            }
        }
        let query: Params = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| (StatusCode::BAD_REQUEST, "the query string is not valid").into_response())?;
        Ok(Self { query, form })
    }
}

fn twiml(reply: Reply) -> Response {
    ([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}

async fn voice(State(app): State<AppState>, request: TwilioRequest) -> Response {
    let inbound = match twilio::parse_voice(&request.query, &request.form) {
        Ok(inbound) => inbound,
        Err(e) => return bad_request(&e),
    };
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: twilio::render(actions, &app.voice, &app.public_url, turn),
    };
    match run_call(&app, &inbound, &render).await {
        Ok(reply) => twiml(reply),
        Err(failed) => twiml(apology(&app, failed)),
    }
}

async fn status(State(app): State<AppState>, request: TwilioRequest) -> Response {
    callback(&app, twilio::parse_status(&request.form)).await
}

async fn recording(State(app): State<AppState>, request: TwilioRequest) -> Response {
    callback(&app, twilio::parse_recording(&request.form)).await
}

/// Status and recording callbacks: no TwiML expected, any 2xx will do. A
/// failure answers 503 so the gateway's retry has a chance.
async fn callback(app: &AppState, parsed: Result<Option<Inbound>, GatewayError>) -> Response {
    let inbound = match parsed {
        Ok(Some(inbound)) => inbound,
        Ok(None) => return StatusCode::NO_CONTENT.into_response(),
        Err(e) => return bad_request(&e),
    };
    let render = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    match run_call(app, &inbound, &render).await {
        Ok(_) | Err(Failed::Spooled) => StatusCode::NO_CONTENT.into_response(),
        Err(Failed::Lost) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

/// "Sorry, a technical problem", then a hang-up: what the caller hears
/// instead of Twilio's application-error message.
fn apology(app: &AppState, failed: Failed) -> Reply {
    let body = twilio::render(&super::apology_actions(app, failed), &app.voice, &app.public_url, 0);
    Reply { content_type: crate::gateway::XML.to_owned(), body }
}

/// The TwiML for a "Call now" call the volunteer has answered: dial the
/// caller. Only for signed requests (a token must be set), since the answer
/// holds the caller's number.
async fn bridge(State(app): State<AppState>, request: TwilioRequest) -> Response {
    let (Some(bridge), Some(_)) = (&app.bridge, &app.gateways.twilio_auth_token) else { return super::not_found() };
    let attempt = crate::gateway::param(&request.query, "attempt").ok().flatten();
    let Some(attempt) = attempt.and_then(|a| a.parse::<i64>().ok()) else {
        return (StatusCode::BAD_REQUEST, "attempt is missing").into_response();
    };
    match app.desk.queue().attempt_caller(attempt).await {
        Ok(Some(caller)) => twiml(Reply {
            content_type: crate::gateway::XML.to_owned(),
            body: twilio::render_bridge(&caller, bridge.caller_id()),
        }),
        Ok(None) => twiml(Reply {
            content_type: crate::gateway::XML.to_owned(),
            body: twilio::render(&[Action::Hangup], &app.voice, &app.public_url, 0),
        }),
        Err(e) => super::internal(&e),
    }
}

/// Status callbacks of "Call now" calls: the attempt records how it went.
async fn bridge_status(State(app): State<AppState>, request: TwilioRequest) -> Response {
    let form = &request.form;
    let (Ok(Some(call_sid)), Ok(Some(status))) =
        (crate::gateway::param(form, "CallSid"), crate::gateway::param(form, "CallStatus"))
    else {
        return (StatusCode::BAD_REQUEST, "CallSid and CallStatus are required, once each").into_response();
    };
    match app.desk.queue().update_attempt_call("twilio", call_sid, status).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => super::internal(&e),
    }
}
