//! Admins' prompt recordings over the JSON API:
//!
//! - `GET  /api/v1/prompts`: the coverage matrix of the active flows.
//! - `PUT  /api/v1/prompts/{lang}/{key}`: upload (raw audio body, or
//!   multipart with a `file` field); 201 with the new active version.
//! - `GET  /api/v1/prompts/{lang}/{key}/versions`: every version, newest first.
//! - `POST /api/v1/prompts/{lang}/{key}/rollback`: the version before the
//!   active one becomes active.
//! - `POST /api/v1/prompts/{lang}/{key}/versions/{id}/activate`.
//! - `DELETE /api/v1/prompts/{lang}/{key}/active`: no version is active any
//!   more, so callers hear the catalog text again ("use text"); 200 with
//!   the version that was active, 409 when none was.
//!
//! Admins only (403 for anyone else). The language and key are parsed into
//! types that admit only letters, digits and `_` (400 otherwise), then must
//! name a prompt of the catalog (404). A recording that is not usable audio
//! gets 422 with the reason.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post, put},
};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use super::{AppState, internal, session::ApiUser};
use crate::{
    audio::AudioError,
    auth::{Role, User},
    domain::Language,
    prompts::{LibraryError, PromptKey, PromptVersion, Upload},
};

/// Largest upload accepted: two minutes of 48 kHz stereo WAV is 23 MB.
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// Routes that take audio bodies, with their own (larger) body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prompts/{lang}/{key}", put(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
}

/// Routes with small bodies (under the server's usual limit).
pub fn small_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prompts", get(coverage))
        .route("/api/v1/prompts/{lang}/{key}/versions", get(versions))
        .route("/api/v1/prompts/{lang}/{key}/rollback", post(rollback))
        .route("/api/v1/prompts/{lang}/{key}/versions/{id}/activate", post(activate))
        .route("/api/v1/prompts/{lang}/{key}/active", delete(use_text))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A prompt named in a URL, or the 400 that says why it is not one.
pub fn parse_prompt(lang: &str, key: &str) -> Result<(Language, PromptKey), String> {
    let lang = Language::parse(lang).map_err(|e| e.to_string())?;
    let key = PromptKey::parse(key).map_err(|e| e.to_string())?;
    Ok((lang, key))
}

/// The status a library error is answered with.
pub fn library_status(e: &LibraryError) -> StatusCode {
    match e {
        LibraryError::UnknownLanguage(_) | LibraryError::UnknownPrompt(_) | LibraryError::NoSuchVersion(_) => {
            StatusCode::NOT_FOUND
        }
        LibraryError::Rejected(AudioError::Encode(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        LibraryError::Rejected(AudioError::Cancelled) => StatusCode::REQUEST_TIMEOUT,
        LibraryError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        LibraryError::NoEarlierVersion | LibraryError::NothingActive => StatusCode::CONFLICT,
        LibraryError::Conversion(_) | LibraryError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn library_error(e: &LibraryError) -> Response {
    match library_status(e) {
        StatusCode::INTERNAL_SERVER_ERROR => internal(e),
        status => error(status, &e.to_string()),
    }
}

/// Checks the caller is an admin and, for cookie sessions, the CSRF header.
fn admin_only(who: &super::session::SignedIn, headers: &HeaderMap, changes: bool) -> Option<Response> {
    if who.user.role != Role::Admin {
        return Some(error(StatusCode::FORBIDDEN, "only admins manage prompt recordings"));
    }
    let given = headers.get("X-CSRF-Token").and_then(|v| v.to_str().ok());
    (changes && !who.csrf_ok(given)).then(|| error(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token"))
}

/// Records who changed which prompt.
pub async fn audit(app: &AppState, user: &User, action: &str, version: &PromptVersion) {
    let details = format!("{}/{} version {}", version.language, version.key, version.id);
    if let Err(e) = app.desk.audit(user, action, None, Some(details)).await {
        tracing::error!(error.message = %e, "could not write the audit log");
    }
}

/// The audio of an upload: the body itself, or the `file` field (else the
/// first field with a file name) of a multipart form.
pub async fn upload_bytes(app: &AppState, request: Request) -> Result<Vec<u8>, Response> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(request, app).await.map_err(IntoResponse::into_response)?;
        return Ok(body.to_vec());
    }
    let mut form = Multipart::from_request(request, app).await.map_err(IntoResponse::into_response)?;
    while let Some(field) = form.next_field().await.map_err(IntoResponse::into_response)? {
        if field.name() == Some("file") || field.file_name().is_some() {
            return Ok(field.bytes().await.map_err(IntoResponse::into_response)?.to_vec());
        }
    }
    Err(error(StatusCode::BAD_REQUEST, "the form has no `file` field"))
}

async fn upload(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path((lang, key)): Path<(String, String)>,
    request: Request,
) -> Response {
    if let Some(rejected) = admin_only(&who, request.headers(), true) {
        return rejected;
    }
    let (language, key) = match parse_prompt(&lang, &key) {
        Ok(prompt) => prompt,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(e) = app.prompts.check_prompt(&language, &key) {
        return library_error(&e);
    }
    let bytes = match upload_bytes(&app, request).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let upload = Upload { language, key, bytes, uploaded_by: who.user.username.clone(), synthetic: false };
    match app.prompts.upload(upload, app.desk.now()).await {
        Ok(uploaded) if !uploaded.new => Json(uploaded.version).into_response(),
        Ok(uploaded) => {
            audit(&app, &who.user, "prompt_upload", &uploaded.version).await;
            (StatusCode::CREATED, Json(uploaded.version)).into_response()
        }
        Err(e) => library_error(&e),
    }
}

async fn coverage(State(app): State<AppState>, ApiUser(who): ApiUser, headers: HeaderMap) -> Response {
    if let Some(rejected) = admin_only(&who, &headers, false) {
        return rejected;
    }
    let flows = app.calls.flows();
    let coverage = app.prompts.coverage(flows.iter().map(AsRef::as_ref));
    let totals = coverage.totals();
    Json(json!({ "languages": coverage.languages, "totals": totals, "prompts": coverage.rows })).into_response()
}

async fn versions(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path((lang, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(rejected) = admin_only(&who, &headers, false) {
        return rejected;
    }
    let (language, key) = match parse_prompt(&lang, &key) {
        Ok(prompt) => prompt,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    match app.prompts.versions(&language, &key).await {
        Ok(versions) => Json(versions).into_response(),
        Err(e) => internal(&e),
    }
}

async fn rollback(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path((lang, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(rejected) = admin_only(&who, &headers, true) {
        return rejected;
    }
    let (language, key) = match parse_prompt(&lang, &key) {
        Ok(prompt) => prompt,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    match app.prompts.rollback(&language, &key).await {
        Ok(version) => {
            audit(&app, &who.user, "prompt_rollback", &version).await;
            Json(version).into_response()
        }
        Err(e) => library_error(&e),
    }
}

async fn activate(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path((lang, key, id)): Path<(String, String, i64)>,
    headers: HeaderMap,
) -> Response {
    if let Some(rejected) = admin_only(&who, &headers, true) {
        return rejected;
    }
    let (language, key) = match parse_prompt(&lang, &key) {
        Ok(prompt) => prompt,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    match app.prompts.activate(&language, &key, id).await {
        Ok(version) => {
            audit(&app, &who.user, "prompt_activate", &version).await;
            Json(version).into_response()
        }
        Err(e) => library_error(&e),
    }
}

async fn use_text(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path((lang, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(rejected) = admin_only(&who, &headers, true) {
        return rejected;
    }
    let (language, key) = match parse_prompt(&lang, &key) {
        Ok(prompt) => prompt,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    match app.prompts.use_text(&language, &key).await {
        Ok(version) => {
            audit(&app, &who.user, "prompt_use_text", &version).await;
            Json(version).into_response()
        }
        Err(e) => library_error(&e),
    }
}
