//! `GET /prompts/{lang}/{key}.wav`: recordings for gateways to play.
//!
//! Nothing from the request becomes a path: the language and key are parsed
//! into types that only admit letters, digits and `_`, and only recordings in
//! the index (found at startup) are served. URLs carry the content hash, so
//! caches may keep a file as long as they like.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::AppState;
use crate::{domain::Language, prompts::PromptKey};

pub fn router() -> Router<AppState> {
    Router::new().route("/prompts/{lang}/{file}", get(recording))
}

async fn recording(
    State(app): State<AppState>,
    Path((lang, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let key = file.strip_suffix(".wav").and_then(|k| PromptKey::parse(k).ok());
    let (Ok(lang), Some(key)) = (Language::parse(&lang), key) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let Some(recording) = app.recordings.get(&lang, &key) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let etag = format!("\"{}\"", recording.version);
    let cache = (header::CACHE_CONTROL, "public, max-age=86400");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.as_str()), cache]).into_response();
    }
    match tokio::fs::read(&recording.path).await {
        Ok(bytes) => {
            ([(header::CONTENT_TYPE, "audio/wav"), (header::ETAG, etag.as_str()), cache], bytes).into_response()
        }
        Err(e) => {
            tracing::error!(error.message = %e, "a recording in the index cannot be read");
            (StatusCode::NOT_FOUND, "no such recording").into_response()
        }
    }
}
