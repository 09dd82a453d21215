//! HTTP: the router, shared state and layers. Each submodule owns its routes.

mod health;
mod prompts;
mod twilio;

use std::{sync::Arc, time::Duration};

use axum::{Router, extract::MatchedPath, http::Request};
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer};

use crate::{
    calls::CallService,
    config::Secret,
    domain::Language,
    prompts::{PromptVoice, RecordingIndex},
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub calls: Arc<CallService>,
    pub voice: PromptVoice,
    pub recordings: Arc<RecordingIndex>,
    pub public_url: Arc<str>,
    pub twilio_auth_token: Option<Secret>,
    /// The language an apology is spoken in when the call's is unknown.
    pub fallback_language: Language,
}

/// Webhook bodies are small forms; anything bigger is not a gateway.
const BODY_LIMIT: usize = 64 * 1024;
/// Gateways give up at about 15 s (Twilio's total); answer well before.
pub const WEBHOOK_BUDGET: Duration = Duration::from_secs(10);

pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        tracing::info_span!("request", http.method = %request.method(), http.route = route)
    });
    Router::new()
        .merge(twilio::router())
        .merge(prompts::router())
        .merge(health::router())
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(12)))
        .layer(trace)
}
