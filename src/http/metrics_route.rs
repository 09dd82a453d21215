//! `GET /metrics`, in Prometheus's text format. The gauges (calls in
//! progress, waiting cases by state) are read from the database at each
//! scrape, so every instance of a multi-instance deployment reports the same.

use axum::{
    Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use super::{AppState, error::AppError};
use crate::{auth::Role, metrics, queue::Scope};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(app): State<AppState>) -> Result<Response, AppError> {
    let queue = app.desk.queue();
    let now = app.desk.now();
    let everyone =
        Scope { user_id: 0, role: Role::Admin, states: Vec::new(), languages: Vec::new(), units: Vec::new() };
    let (counts, in_progress) =
        match (queue.queue_counts(&everyone, now).await, app.calls.calls().calls_in_progress(now).await) {
            (Ok(c), Ok(p)) => (c, p),
            (Err(e), _) | (_, Err(e)) => return Err(e.into()),
        };
    ::metrics::gauge!(metrics::CALLS_IN_PROGRESS).set(in_progress as f64);
    let mut by_state: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for count in counts {
        let state = count.home_state_code.map_or_else(|| "unknown".to_owned(), |s| s.to_string());
        *by_state.entry(state).or_default() += count.waiting;
    }
    for (state, waiting) in by_state {
        ::metrics::gauge!(metrics::QUEUE_WAITING, "state" => state).set(waiting as f64);
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics::handle().render()).into_response())
}
