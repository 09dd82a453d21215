//! `/healthz`: the process is up. `/readyz`: the database answers, its
//! migrations are current and the server is not stopping.

use axum::{Router, extract::State, http::StatusCode, routing::get};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" })).route("/readyz", get(ready))
}

async fn ready(State(app): State<AppState>) -> (StatusCode, &'static str) {
    if app.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping: finishing the calls in progress");
    }
    match app.calls.calls().ready().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error.message = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database not ready")
        }
    }
}
