//! HTTP: the router, shared state and layers. Each submodule owns its routes.

mod access;
mod api;
mod error;
mod exotel;
mod guard;
mod health;
mod kookoo;
mod metrics_route;
mod people_api;
mod pins;
mod plivo;
mod prompt_uploads;
mod prompts;
mod refused;
mod server;
mod session;
mod twilio;
mod ui;

pub use guard::UnsignedGateway;
pub use server::{ConnectionLimits, raise_file_limit, serve};

use refused::Refused;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::MatchedPath,
    http::{HeaderValue, Request, StatusCode, header},
};
use ipnet::IpNet;
use tower_http::{
    limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer, timeout::TimeoutLayer, trace::TraceLayer,
};
use tracing::{Instrument, error, info_span};

use crate::{
    bridge::Bridge,
    calls::{CallService, Handled, Render},
    domain::{CallId, Language, PhoneNumber, Secret},
    flow::{Action, Prompt},
    gateway::{Inbound, Provider, Reply, plivo::SignatureVersion},
    media::MediaClient,
    metrics,
    prompts::{PromptKey, PromptLibrary, PromptVoice},
    queue::Desk,
    reports::ReportStore,
    spool::{Spool, SpoolEntry},
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

/// What every handler can reach: [`App`] behind one pointer, so the state
/// each request clones is one reference count, not two dozen.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl From<App> for AppState {
    fn from(app: App) -> Self {
        Self(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// The services, stores and settings the handlers use.
pub struct App {
    pub calls: Arc<CallService>,
    pub desk: Desk,
    /// Coordinators' figures and the scoped export.
    pub reports: ReportStore,
    pub voice: PromptVoice,
    /// Prompt recordings: serving, uploads, versions.
    pub prompts: PromptLibrary,
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
    /// Twilio's REST API: its credentials go to this origin only.
    pub twilio_api_url: Arc<str>,
    /// Fetches voice messages from their gateway's recording hosts only.
    pub media: MediaClient,
    /// Where webhooks write calls down when the database fails them.
    pub spool: Arc<Spool>,
    /// Sign-ins' password checks, a few at once.
    pub password_checks: crate::auth::checks::PasswordChecks,
    /// Users, sessions and sign-in attempts.
    pub users: crate::auth::UserStore,
    /// The national database: people, their facts, the review list.
    pub people: crate::people::PeopleStore,
    /// Places coordinators picked for spellings.
    pub places: crate::places::PlaceStore,
    /// Where lists uploaded on the import page wait to be imported.
    pub imports_dir: std::path::PathBuf,
    /// The uploads (by SHA-256) this instance is importing now: a second
    /// confirm of one is refused, not run beside the first.
    pub importing: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// State units, their members and hand-overs.
    pub units: crate::units::UnitStore,
    /// The central office's rollups.
    pub rollups: crate::units::RollupStore,
    /// Set on SIGTERM: calls in progress are still answered, but `/readyz`
    /// says 503 so a load balancer sends new calls elsewhere.
    pub stopping: std::sync::atomic::AtomicBool,
}

/// Webhook bodies are small forms; anything bigger is not a gateway.
const BODY_LIMIT: usize = 64 * 1024;
/// How long a webhook waits for the database before it spools the call and
/// answers without it. Gateways give up at about 15 s (Twilio's total), and
/// every second is silence on the caller's line.
pub const WEBHOOK_BUDGET: Duration = Duration::from_secs(4);

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
        .merge(people_api::router())
        .merge(pins::router())
        .merge(prompt_uploads::small_router())
        .merge(ui::router())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // Audio uploads: their own, larger body limit.
        .merge(prompt_uploads::router())
        .merge(ui::upload_router())
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(12)))
        // Inside the request's span: errors are logged with its route.
        .layer(axum::middleware::map_response(error::log_errors))
        .layer(trace)
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// The Content-Security-Policy of every answer. The pages use no other
/// origin and no inline script (the case page's one script is the file
/// `/desk.js`); their styles are inline (one `<style>` and a few `style=`
/// attributes), so styles may be. Never inside a frame (clickjacking a
/// volunteer into "take next" or "call now").
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A webhook the database could not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// The call was written to the spool: the caller will be called back.
    Spooled,
    /// Not even the spool took it.
    Lost,
}

/// Runs the call driver within the webhook budget. On any failure (logged)
/// the call is written to the spool, to be replayed into the database.
async fn run_call(app: &AppState, inbound: &Inbound, render: &Render<'_>) -> Result<Reply, Failed> {
    let span = info_span!("call", call.id = %inbound.call_id, gateway.provider = %inbound.provider, call.event = inbound.event.kind());
    let gateway = inbound.provider.as_str();
    let started = std::time::Instant::now();
    let work = app.calls.handle(inbound, render).instrument(span.clone());
    let result = tokio::time::timeout(WEBHOOK_BUDGET, work).await;
    metrics::webhook_latency(gateway, started.elapsed());
    let outcome = match &result {
        Ok(Ok(Handled::Fresh(_))) => "answered",
        Ok(Ok(Handled::Replayed(_))) => "replayed",
        _ => "spooled",
    };
    match result {
        Ok(Ok(handled)) => {
            metrics::webhook(gateway, outcome);
            Ok(handled.reply().with_charset())
        }
        Ok(Err(e)) => {
            span.in_scope(|| error!(error.message = %e, error.cause_chain = ?e, "could not handle the webhook"));
            spool(app, inbound.provider, &inbound.call_id, inbound.caller.as_ref()).await
        }
        Err(_) => {
            span.in_scope(|| error!("the database did not answer within the webhook budget"));
            spool(app, inbound.provider, &inbound.call_id, inbound.caller.as_ref()).await
        }
    }
}

/// Writes a call to the spool (see [`crate::spool`]).
async fn spool(
    app: &AppState,
    provider: Provider,
    call_id: &CallId,
    caller: Option<&PhoneNumber>,
) -> Result<Reply, Failed> {
    let entry = SpoolEntry {
        provider: provider.as_str().to_owned(),
        call_id: call_id.clone(),
        phone: caller.map(|p| p.as_e164().to_owned()),
        at: app.desk.now(),
    };
    match app.spool.append(entry).await {
        Ok(()) => {
            metrics::webhook(provider.as_str(), "spooled");
            Err(Failed::Spooled)
        }
        Err(e) => {
            error!(error.message = %e, "could not write the call to the spool: the caller is lost");
            metrics::webhook(provider.as_str(), "failed");
            Err(Failed::Lost)
        }
    }
}

/// "Sorry, a technical problem", then a hang-up, in the fallback language:
/// "we have your number" when the call was spooled, "call again" otherwise.
fn apology_actions(app: &AppState, failed: Failed) -> Vec<Action> {
    let key = match failed {
        Failed::Spooled => "spooled",
        Failed::Lost => "technical_error",
    };
    let key = PromptKey::parse(key).expect("a valid key");
    let prompts = vec![Prompt::Catalog { key, language: app.fallback_language.clone() }];
    vec![Action::Play { prompts }, Action::Hangup]
}
