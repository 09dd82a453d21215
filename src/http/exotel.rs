//! Exotel applets for Sampark's generic app (see `gateway::exotel` and
//! docs/gateways/exotel.md): `/exotel/{secret}/gather`, `…/passthru`,
//! `…/next`, `…/greeting` and `…/status`. Off (404) unless
//! `SAMPARK_EXOTEL_SECRET` is set; a wrong secret or an address outside the
//! allow-list also gets 404 and changes nothing.

use std::net::SocketAddr;

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tracing::error;

use super::{AppState, apology_actions, bad_request, not_found, run_call};
use crate::{
    flow::Action,
    gateway::{
        Params, Provider, Reply,
        exotel::{self, NextStep},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exotel/{secret}/gather", get(gather))
        .route("/exotel/{secret}/passthru", get(passthru))
        .route("/exotel/{secret}/next", get(next))
        .route("/exotel/{secret}/greeting", get(greeting))
        .route("/exotel/{secret}/status", get(status).post(status))
}

/// The request's parameters, once the secret and the source are admitted.
struct Admitted(Params);

fn admit(
    app: &AppState,
    secret: &str,
    peer: SocketAddr,
    headers: &HeaderMap,
    query: Option<String>,
) -> Option<Admitted> {
    if !app.gateways.exotel.admits(secret, peer, headers, &app.gateways.trusted_proxies) {
        return None;
    }
    Some(Admitted(serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default()))
}

fn render(app: &AppState) -> impl Fn(&[Action], u32) -> Reply + Send + Sync + '_ {
    |actions: &[Action], _turn: u32| Reply {
        content_type: "application/json".to_owned(),
        body: exotel::render(actions, &app.voice),
    }
}

/// The step the call is at now (`None` for a call we do not know).
async fn current_step(app: &AppState, call_id: &str) -> Result<Option<NextStep>, ()> {
    match app.calls.current_reply(Provider::Exotel, call_id).await {
        Ok(reply) => Ok(reply.and_then(|r| NextStep::parse(&r.body))),
        Err(e) => {
            error!(error.message = %e, "could not read the call's current step");
            Err(())
        }
    }
}

/// What a caller hears when something fails: an apology, then the end.
fn apology(app: &AppState) -> NextStep {
    let body = exotel::render(&apology_actions(app), &app.voice);
    NextStep::parse(&body).expect("a rendered step parses")
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn branch(first: bool) -> Response {
    // Only the status matters to Exotel: 200 takes one branch, 302 the other.
    // No Location header, so no HTTP client follows it.
    let status = if first { StatusCode::OK } else { StatusCode::FOUND };
    (status, [(header::CONTENT_TYPE, "text/plain")], "").into_response()
}

/// Gather applet (dynamic URL): the current question; the first starts the call.
async fn gather(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(Admitted(params)) = admit(&app, &secret, peer, &headers, query) else { return not_found() };
    let call_id = match exotel::parse_call_id(&params) {
        Ok(id) => id,
        Err(e) => return bad_request(&e),
    };
    let step = match current_step(&app, &call_id).await {
        Ok(Some(step)) => step,
        Ok(None) => {
            let inbound = match exotel::parse_start(&params) {
                Ok(inbound) => inbound,
                Err(e) => return bad_request(&e),
            };
            let reply = run_call(&app, &inbound, &render(&app)).await;
            reply.and_then(|r| NextStep::parse(&r.body)).unwrap_or_else(|| apology(&app))
        }
        Err(()) => apology(&app),
    };
    json(step.gather_json())
}

/// Passthru "answer": the engine takes the keys or the voice message.
/// 200: the call goes on; 302: it is over.
async fn passthru(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(Admitted(params)) = admit(&app, &secret, peer, &headers, query) else { return not_found() };
    let inbound = match exotel::parse_passthru(&params) {
        Ok(inbound) => inbound,
        Err(e) => return bad_request(&e),
    };
    match run_call(&app, &inbound, &render(&app)).await.and_then(|r| NextStep::parse(&r.body)) {
        Some(NextStep::End { .. }) | None => branch(false),
        Some(_) => branch(true),
    }
}

/// Passthru "next": 200 when the next step is a question, 302 a voice message.
async fn next(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(Admitted(params)) = admit(&app, &secret, peer, &headers, query) else { return not_found() };
    let call_id = match exotel::parse_call_id(&params) {
        Ok(id) => id,
        Err(e) => return bad_request(&e),
    };
    let record = matches!(current_step(&app, &call_id).await, Ok(Some(NextStep::Record { .. })));
    branch(!record)
}

/// Greeting applet (dynamic, text/plain, answers HEAD too): the words
/// before a voice message, or the last words.
async fn greeting(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(Admitted(params)) = admit(&app, &secret, peer, &headers, query) else { return not_found() };
    let call_id = match exotel::parse_call_id(&params) {
        Ok(id) => id,
        Err(e) => return bad_request(&e),
    };
    let step = match current_step(&app, &call_id).await {
        Ok(Some(step)) => step,
        _ => apology(&app),
    };
    ([(header::CONTENT_TYPE, "text/plain")], step.greeting().to_owned()).into_response()
}

/// Status callback, or a Passthru at the end of the flow: the call is over.
async fn status(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let Some(Admitted(mut params)) = admit(&app, &secret, peer, &headers, query) else { return not_found() };
    // POSTed forms carry their parameters in the body.
    params.extend(serde_urlencoded::from_bytes::<Params>(&body).unwrap_or_default());
    let inbound = match exotel::parse_status(&params) {
        Ok(Some(inbound)) => inbound,
        Ok(None) => return StatusCode::OK.into_response(),
        Err(e) => return bad_request(&e),
    };
    let silent = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    match run_call(&app, &inbound, &silent).await {
        Some(_) => StatusCode::OK.into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}
