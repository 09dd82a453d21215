//! Plivo webhooks: `/plivo/voice` (Answer URL and our action URLs),
//! `/plivo/status` (Hangup URL) and `/plivo/recording` (`<Record
//! callbackUrl>`). Off (404) unless `SAMPARK_PLIVO_AUTH_TOKEN` is set; then
//! every request must carry a valid V3 signature (V2 where configured) for
//! the public URL, or gets 403 and changes nothing. A parameter the adapter
//! reads that comes more than once gets 400 and changes nothing.

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, OriginalUri, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tracing::warn;

use super::{AppState, Failed, apology_actions, bad_request, not_found, run_call};
use crate::{
    flow::Action,
    gateway::{
        GatewayError, Inbound, Params, Reply,
        plivo::{self, SignatureVersion},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plivo/voice", get(voice).post(voice))
        .route("/plivo/status", get(status).post(status))
        .route("/plivo/recording", get(recording).post(recording))
}

/// A Plivo request whose signature has been checked.
pub struct PlivoRequest {
    query: Params,
    form: Params,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl FromRequest<AppState> for PlivoRequest {
    type Rejection = Response;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Response> {
        let Some(token) = app.gateways.plivo_auth_token.clone() else { return Err(not_found()) };
        let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |u| u.0.clone());
        let method = req.method().clone();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, app).await.map_err(IntoResponse::into_response)?;
        // Parsed once: the signature is checked over these parameters, and
        // the handlers read these same ones.
        let query: Params = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| (StatusCode::BAD_REQUEST, "the query string is not valid").into_response())?;
        let form: Params = if method == Method::POST {
            serde_urlencoded::from_bytes(&body)
                .map_err(|_| (StatusCode::BAD_REQUEST, "the body is not a URL-encoded form").into_response())?
        } else {
            Vec::new()
        };
        let url = format!("{}{}", app.public_url, uri.path_and_query().map_or("/", |p| p.as_str()));
        let base_url = format!("{}{}", app.public_url, uri.path());
        let valid = match app.gateways.plivo_signature {
            SignatureVersion::V3 => {
                match (header(&headers, "X-Plivo-Signature-V3"), header(&headers, "X-Plivo-Signature-V3-Nonce")) {
                    (Some(sig), Some(nonce)) => {
                        plivo::validate_v3(token.expose(), method.as_str(), &base_url, &query, &form, nonce, sig)
                    }
                    _ => false,
                }
            }
            SignatureVersion::V2 => {
                match (header(&headers, "X-Plivo-Signature-V2"), header(&headers, "X-Plivo-Signature-V2-Nonce")) {
                    (Some(sig), Some(nonce)) => plivo::validate_v2(token.expose(), &url, nonce, sig),
                    _ => false,
                }
            }
        };
        if !valid {
            warn!(http.path = uri.path(), "rejected a Plivo request without a valid signature");
            crate::metrics::webhook("plivo", "rejected");
            return Err((StatusCode::FORBIDDEN, "invalid or missing X-Plivo-Signature").into_response());
        }
        // A GET carries its parameters in the query.
        let form = if method == Method::POST { form } else { query.clone() };
        Ok(Self { query, form })
    }
}

fn xml(reply: Reply) -> Response {
    ([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}

async fn voice(State(app): State<AppState>, request: PlivoRequest) -> Response {
    let inbound = match plivo::parse_voice(&request.query, &request.form) {
        Ok(inbound) => inbound,
        Err(e) => return bad_request(&e),
    };
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: plivo::render(actions, &app.voice, &app.public_url, turn),
    };
    match run_call(&app, &inbound, &render).await {
        Ok(reply) => xml(reply),
        Err(failed) => xml(Reply {
            content_type: crate::gateway::XML.to_owned(),
            body: plivo::render(&apology_actions(&app, failed), &app.voice, &app.public_url, 0),
        }),
    }
}

async fn status(State(app): State<AppState>, request: PlivoRequest) -> Response {
    callback(&app, plivo::parse_hangup(&request.form)).await
}

async fn recording(State(app): State<AppState>, request: PlivoRequest) -> Response {
    callback(&app, plivo::parse_recording(&request.form)).await
}

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
