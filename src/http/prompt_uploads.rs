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
    http::{StatusCode, header},
    middleware::map_response,
    response::IntoResponse,
    routing::{delete, get, post, put},
};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;

use super::{
    AppState,
    access::{Admin, Csrf},
    error::{AppError, as_json},
};
use crate::{
    auth::User,
    domain::Language,
    flow,
    prompts::{PromptKey, PromptVersion, Upload},
};

/// Largest upload accepted: two minutes of 48 kHz stereo WAV is 23 MB.
pub const UPLOAD_LIMIT: usize = 32 * 1024 * 1024;

/// Routes that take audio bodies, with their own (larger) body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prompts/{lang}/{key}", put(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
        .layer(map_response(as_json))
}

/// Routes with small bodies (under the server's usual limit).
pub fn small_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/prompts", get(coverage))
        .route("/api/v1/prompts/{lang}/{key}/versions", get(versions))
        .route("/api/v1/prompts/{lang}/{key}/rollback", post(rollback))
        .route("/api/v1/prompts/{lang}/{key}/versions/{id}/activate", post(activate))
        .route("/api/v1/prompts/{lang}/{key}/active", delete(use_text))
        .layer(map_response(as_json))
}

/// A prompt named in a URL, or the 400 that says why it is not one.
pub fn parse_prompt(lang: &str, key: &str) -> Result<(Language, PromptKey), AppError> {
    let lang = Language::parse(lang).map_err(|e| AppError::bad_request(e.to_string()))?;
    let key = PromptKey::parse(key).map_err(|e| AppError::bad_request(e.to_string()))?;
    Ok((lang, key))
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
pub async fn upload_bytes(app: &AppState, request: Request) -> Result<Vec<u8>, AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return Ok(Bytes::from_request(request, app).await?.to_vec());
    }
    let mut form = Multipart::from_request(request, app).await?;
    while let Some(field) = form.next_field().await? {
        if field.name() == Some("file") || field.file_name().is_some() {
            return Ok(field.bytes().await?.to_vec());
        }
    }
    Err(AppError::bad_request("the form has no `file` field"))
}

async fn upload(
    State(app): State<AppState>,
    Csrf(Admin(who)): Csrf<Admin>,
    Path((lang, key)): Path<(String, String)>,
    request: Request,
) -> Result<impl IntoResponse, AppError> {
    let (language, key) = parse_prompt(&lang, &key)?;
    app.prompts.check_prompt(&language, &key)?;
    let bytes = upload_bytes(&app, request).await?;
    let upload = Upload { language, key, bytes, uploaded_by: who.user.username.clone(), synthetic: false };
    let uploaded = app.prompts.upload(upload, app.desk.now()).await?;
    if !uploaded.new {
        return Ok((StatusCode::OK, Json(uploaded.version)));
    }
    audit(&app, &who.user, "prompt_upload", &uploaded.version).await;
    Ok((StatusCode::CREATED, Json(uploaded.version)))
}

async fn coverage(State(app): State<AppState>, _: Admin) -> Json<serde_json::Value> {
    let flows = app.calls.flows();
    let coverage = flow::coverage(app.prompts.catalog(), app.prompts.index(), flows.iter().map(AsRef::as_ref));
    let totals = coverage.totals();
    Json(json!({ "languages": coverage.languages, "totals": totals, "prompts": coverage.rows }))
}

async fn versions(
    State(app): State<AppState>,
    _: Admin,
    Path((lang, key)): Path<(String, String)>,
) -> Result<Json<Vec<PromptVersion>>, AppError> {
    let (language, key) = parse_prompt(&lang, &key)?;
    Ok(Json(app.prompts.versions(&language, &key).await?))
}

async fn rollback(
    State(app): State<AppState>,
    Csrf(Admin(who)): Csrf<Admin>,
    Path((lang, key)): Path<(String, String)>,
) -> Result<Json<PromptVersion>, AppError> {
    let (language, key) = parse_prompt(&lang, &key)?;
    let version = app.prompts.rollback(&language, &key).await?;
    audit(&app, &who.user, "prompt_rollback", &version).await;
    Ok(Json(version))
}

async fn activate(
    State(app): State<AppState>,
    Csrf(Admin(who)): Csrf<Admin>,
    Path((lang, key, id)): Path<(String, String, i64)>,
) -> Result<Json<PromptVersion>, AppError> {
    let (language, key) = parse_prompt(&lang, &key)?;
    let version = app.prompts.activate(&language, &key, id).await?;
    audit(&app, &who.user, "prompt_activate", &version).await;
    Ok(Json(version))
}

async fn use_text(
    State(app): State<AppState>,
    Csrf(Admin(who)): Csrf<Admin>,
    Path((lang, key)): Path<(String, String)>,
) -> Result<Json<PromptVersion>, AppError> {
    let (language, key) = parse_prompt(&lang, &key)?;
    let version = app.prompts.use_text(&language, &key).await?;
    audit(&app, &who.user, "prompt_use_text", &version).await;
    Ok(Json(version))
}
