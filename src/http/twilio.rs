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
use tracing::error;

use super::{AppState, Failed, Refused, run_call};
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
    type Rejection = Refused;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Refused> {
        let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |u| u.0.clone());
        let signature = req.headers().get("X-Twilio-Signature").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = Bytes::from_request(req, app).await?;
        let form: Params = serde_urlencoded::from_bytes(&body)
            .map_err(|_| Refused::Malformed("the body is not a URL-encoded form".to_owned()))?;
        if let Some(token) = &app.gateways.twilio_auth_token {
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let url = format!("{}{path}", app.public_url);
            let valid = signature.is_some_and(|s| twilio::validate(token.expose(), &url, &form, &s));
            if !valid {
                return Err(Refused::Forged { gateway: "twilio", message: "invalid or missing X-Twilio-Signature" });
            }
        }
        let query: Params = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| Refused::Malformed("the query string is not valid".to_owned()))?;
        Ok(Self { query, form })
    }
}

/// A Twilio request that was signed: 404, as for a route that does not
/// exist, when no auth token is set. For the "Call now" routes, whose
/// answers hold the caller's number and whose calls only a configured
/// token can place.
pub struct SignedTwilio(TwilioRequest);

impl FromRequest<AppState> for SignedTwilio {
    type Rejection = Refused;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Refused> {
        if app.gateways.twilio_auth_token.is_none() {
            return Err(Refused::NotFound);
        }
        Ok(Self(TwilioRequest::from_request(req, app).await?))
    }
}

fn twiml(reply: Reply) -> Response {
    ([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}

fn twiml_of(app: &AppState, actions: &[Action]) -> Response {
    let body = twilio::render(actions, &app.voice, &app.public_url, 0);
    twiml(Reply { content_type: crate::gateway::XML.to_owned(), body })
}

async fn voice(State(app): State<AppState>, request: TwilioRequest) -> Result<Response, Refused> {
    let inbound = twilio::parse_voice(&request.query, &request.form)?;
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: twilio::render(actions, &app.voice, &app.public_url, turn),
    };
    Ok(match run_call(&app, &inbound, &render).await {
        Ok(reply) => twiml(reply),
        Err(failed) => twiml_of(&app, &super::apology_actions(&app, failed)),
    })
}

async fn status(State(app): State<AppState>, request: TwilioRequest) -> Result<Response, Refused> {
    callback(&app, twilio::parse_status(&request.form)).await
}

async fn recording(State(app): State<AppState>, request: TwilioRequest) -> Result<Response, Refused> {
    callback(&app, twilio::parse_recording(&request.form)).await
}

/// Status and recording callbacks: no TwiML expected, any 2xx will do. A
/// failure answers 503 so the gateway's retry has a chance.
async fn callback(app: &AppState, parsed: Result<Option<Inbound>, GatewayError>) -> Result<Response, Refused> {
    let Some(inbound) = parsed? else { return Ok(StatusCode::NO_CONTENT.into_response()) };
    let render = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    Ok(match run_call(app, &inbound, &render).await {
        Ok(_) | Err(Failed::Spooled) => StatusCode::NO_CONTENT.into_response(),
        Err(Failed::Lost) => try_again(),
    })
}

/// 503: the gateway should send the callback again.
fn try_again() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
}

/// The TwiML for a "Call now" call the volunteer has answered: dial the
/// caller. When the database fails, the volunteer hears the apology
/// instead of Twilio's application error.
async fn bridge(State(app): State<AppState>, SignedTwilio(request): SignedTwilio) -> Result<Response, Refused> {
    let Some(bridge) = &app.bridge else { return Err(Refused::NotFound) };
    let attempt = crate::gateway::param(&request.query, "attempt").ok().flatten();
    let Some(attempt) = attempt.and_then(|a| a.parse::<i64>().ok()) else {
        return Err(Refused::Malformed("attempt is missing".to_owned()));
    };
    Ok(match app.desk.queue().attempt_caller(attempt).await {
        Ok(Some(caller)) => twiml(Reply {
            content_type: crate::gateway::XML.to_owned(),
            body: twilio::render_bridge(&caller, bridge.caller_id()),
        }),
        Ok(None) => twiml_of(&app, &[Action::Hangup]),
        Err(e) => {
            error!(error.message = %e, error.cause_chain = ?e, "could not read the Call now attempt");
            twiml_of(&app, &super::apology_actions(&app, Failed::Lost))
        }
    })
}

/// Status callbacks of "Call now" calls: the attempt records how it went.
async fn bridge_status(State(app): State<AppState>, SignedTwilio(request): SignedTwilio) -> Result<Response, Refused> {
    let form = &request.form;
    let (Ok(Some(call_sid)), Ok(Some(status))) =
        (crate::gateway::param(form, "CallSid"), crate::gateway::param(form, "CallStatus"))
    else {
        return Err(Refused::Malformed("CallSid and CallStatus are required, once each".to_owned()));
    };
    Ok(match app.desk.queue().update_attempt_call("twilio", call_sid, status).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            error!(error.message = %e, error.cause_chain = ?e, "could not record a Call now status");
            try_again()
        }
    })
}
