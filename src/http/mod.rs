//! HTTP: the router, shared state and layers. Each submodule owns its routes.

mod api;
mod exotel;
mod guard;
mod health;
mod kookoo;
mod metrics_route;
mod plivo;
mod prompts;
mod session;
mod twilio;
mod ui;

pub use guard::UnsignedGateway;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::MatchedPath,
    http::{Request, StatusCode},
    response::{IntoResponse, Response},
};
use ipnet::IpNet;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};
use tracing::{Instrument, error, info_span, warn};

use crate::{
    bridge::Bridge,
    calls::{CallService, Handled, Render},
    config::Secret,
    domain::Language,
    flow::{Action, Prompt},
    gateway::{GatewayError, Inbound, Reply, plivo::SignatureVersion},
    metrics,
    prompts::{PromptKey, PromptVoice, RecordingIndex},
    queue::Desk,
};

/// How each gateway's requests are admitted.
#[derive(Clone, Debug)]
pub struct Gateways {
    /// Twilio: checked when set; without it Twilio requests are not verified.
    pub twilio_auth_token: Option<Secret>,
    /// Plivo: enabled only with a token, and every request must be signed.
    pub plivo_auth_token: Option<Secret>,
    pub plivo_signature: SignatureVersion,
    pub kookoo: UnsignedGateway,
    pub exotel: UnsignedGateway,
    pub trusted_proxies: Arc<[IpNet]>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub calls: Arc<CallService>,
    pub desk: Desk,
    pub voice: PromptVoice,
    pub recordings: Arc<RecordingIndex>,
    pub public_url: Arc<str>,
    pub gateways: Gateways,
    /// The language an apology is spoken in when the call's is unknown.
    pub fallback_language: Language,
    /// How "Call now" places calls; `None`: volunteers dial a `tel:` link.
    pub bridge: Option<Bridge>,
    /// Outbound HTTP (gateway REST APIs, fetching recordings).
    pub client: reqwest::Client,
    /// For fetching Twilio recordings, which need the account's credentials.
    pub twilio_account_sid: Option<String>,
}

/// Webhook bodies are small forms; anything bigger is not a gateway.
const BODY_LIMIT: usize = 64 * 1024;
/// Gateways give up at about 15 s (Twilio's total); answer well before.
pub const WEBHOOK_BUDGET: Duration = Duration::from_secs(10);

pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        // The matched route, not the path: secret path segments stay out of logs.
        tracing::info_span!("request", http.method = %request.method(), http.route = route)
    });
    Router::new()
        .merge(twilio::router())
        .merge(plivo::router())
        .merge(kookoo::router())
        .merge(exotel::router())
        .merge(prompts::router())
        .merge(health::router())
        .merge(metrics_route::router())
        .merge(api::router())
        .merge(ui::router())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(12)))
        .layer(trace)
}

/// The router as a service that knows each connection's peer address (the
/// unsigned gateways' allow-lists need it).
pub fn service(state: AppState) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(state).into_make_service_with_connect_info::<SocketAddr>()
}

/// Runs the call driver within the webhook budget; `None` on any failure,
/// which has been logged.
async fn run_call(app: &AppState, inbound: &Inbound, render: &Render<'_>) -> Option<Reply> {
    let span = info_span!("call", call.id = %inbound.call_id, gateway.provider = %inbound.provider, call.event = inbound.event.kind());
    let gateway = inbound.provider.as_str();
    let started = std::time::Instant::now();
    let work = app.calls.handle(inbound, render).instrument(span.clone());
    let result = tokio::time::timeout(WEBHOOK_BUDGET, work).await;
    metrics::webhook_latency(gateway, started.elapsed());
    let outcome = match &result {
        Ok(Ok(Handled::Fresh(_))) => "answered",
        Ok(Ok(Handled::Replayed(_))) => "replayed",
        _ => "failed",
    };
    metrics::webhook(gateway, outcome);
    match result {
        Ok(Ok(handled)) => Some(handled.reply()),
        Ok(Err(e)) => {
            span.in_scope(|| error!(error.message = %e, error.cause_chain = ?e, "could not handle the webhook"));
            None
        }
        Err(_) => {
            span.in_scope(|| error!("the webhook took longer than its budget"));
            None
        }
    }
}

/// An internal failure on a page or API route: logged with its cause, the
/// client told only that it failed.
fn internal(e: &dyn std::error::Error) -> Response {
    error!(error.message = %e, "request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "something went wrong; try again").into_response()
}

/// A malformed webhook: 400, naming the bad parameter (never its value).
fn bad_request(e: &GatewayError) -> Response {
    metrics::webhook("unknown", "malformed");
    warn!(error.message = %e, "malformed gateway request");
    (StatusCode::BAD_REQUEST, e.to_string()).into_response()
}

/// 404 for requests to a disabled gateway or without its secret: the same
/// answer as for a URL that does not exist.
fn not_found() -> Response {
    metrics::webhook("unknown", "rejected");
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// "Sorry, a technical problem", then a hang-up, in the fallback language.
fn apology_actions(app: &AppState) -> Vec<Action> {
    let key = PromptKey::parse("technical_error").expect("a valid key");
    let prompts = vec![Prompt::Catalog { key, language: app.fallback_language.clone() }];
    vec![Action::Play { prompts }, Action::Hangup]
}
