//! Plivo webhooks: `/plivo/voice` (Answer URL and our action URLs),
//! `/plivo/status` (Hangup URL) and `/plivo/recording` (`<Record
//! callbackUrl>`). Off (404) unless `SAMPARK_PLIVO_AUTH_TOKEN` is set; then
//! every request must carry a valid V3 signature (V2 where configured) for
//! the public URL, or gets 403 and changes nothing. A parameter the adapter
//! reads that comes more than once gets 400 and changes nothing.

use super::{AppState, Failed, Refused, apology_actions, run_call};
use crate::{
    flow::Action,
    gateway::{
        GatewayError, Inbound, Params, Reply,
        plivo::{self, SignatureVersion},
    },
};
use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, OriginalUri, Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
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
    type Rejection = Refused;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Refused> {
        let Some(token) = app.gateways.plivo_auth_token.clone() else { return Err(Refused::NotFound) };
        let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |u| u.0.clone());
        let method = req.method().clone();
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, app).await?;
        // Parsed once: the signature is checked over these parameters, and
        // the handlers read these same ones.
        let query: Params = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| Refused::Malformed("the query string is not valid".to_owned()))?;
        let form: Params = if method == Method::POST {
            serde_urlencoded::from_bytes(&body)
                .map_err(|_| Refused::Malformed("the body is not a URL-encoded form".to_owned()))?
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
            return Err(Refused::Forged { gateway: "plivo", message: "invalid or missing X-Plivo-Signature" });
        }
        // A GET carries its parameters in the query.
        let form = if method == Method::POST { form } else { query.clone() };
        Ok(Self { query, form })
    }
}

fn xml(reply: Reply) -> Response {
    ([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}

async fn voice(State(app): State<AppState>, request: PlivoRequest) -> Result<Response, Refused> {
    let inbound = plivo::parse_voice(&request.query, &request.form)?;
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: plivo::render(actions, &app.voice, &app.public_url, turn),
    };
    Ok(match run_call(&app, &inbound, &render).await {
        Ok(reply) => xml(reply),
        Err(failed) => xml(Reply {
            content_type: crate::gateway::XML.to_owned(),
            body: plivo::render(&apology_actions(&app, failed), &app.voice, &app.public_url, 0),
        }),
    })
}

async fn status(State(app): State<AppState>, request: PlivoRequest) -> Result<Response, Refused> {
    callback(&app, plivo::parse_hangup(&request.form)).await
}

async fn recording(State(app): State<AppState>, request: PlivoRequest) -> Result<Response, Refused> {
    callback(&app, plivo::parse_recording(&request.form)).await
}

async fn callback(app: &AppState, parsed: Result<Option<Inbound>, GatewayError>) -> Result<Response, Refused> {
    let Some(inbound) = parsed? else { return Ok(StatusCode::NO_CONTENT.into_response()) };
    let render = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    Ok(match run_call(app, &inbound, &render).await {
        Ok(_) | Err(Failed::Spooled) => StatusCode::NO_CONTENT.into_response(),
        Err(Failed::Lost) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    })
}
