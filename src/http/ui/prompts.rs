//! Admin pages for prompt recordings: the coverage matrix (every prompt of
//! the active flows in every language: recorded, spoken from text, missing),
//! and a page per prompt to play, upload and roll back, or go back from the
//! recordings to the text ("use text").

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};

use super::{csrf_field, language_label, page, when};
use crate::{
    domain::Language,
    flow::{self, Cell},
    http::{
        AppState,
        access::{Admin, CsrfForm, CsrfUpload},
        error::{AppError, library_status},
        prompt_uploads::{UPLOAD_LIMIT, audit, parse_prompt},
        session::SignedIn,
    },
    prompts::{LibraryError, PromptKey, Upload},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/prompts", get(matrix))
        .route("/admin/prompts/{lang}/{key}", get(prompt_page))
        .route("/admin/prompts/{lang}/{key}/rollback", post(rollback))
        .route("/admin/prompts/{lang}/{key}/versions/{id}/activate", post(activate))
        .route("/admin/prompts/{lang}/{key}/use-text", post(use_text))
        .route("/admin/prompts/versions/{file}", get(version_audio))
}

/// The upload form's route, which takes audio bodies.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/admin/prompts/{lang}/{key}", post(upload))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(UPLOAD_LIMIT))
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

async fn matrix(State(app): State<AppState>, Admin(who): Admin) -> Markup {
    let flows = app.calls.flows();
    let coverage = flow::coverage(app.prompts.catalog(), app.prompts.index(), flows.iter().map(AsRef::as_ref));
    let totals = coverage.totals();
    let body = html! {
        h1 { "रिकॉर्डिंग · Prompt recordings" }
        p.muted {
            "Every prompt the call flows play, in every language. "
            strong { "recorded" } ": a recording plays; "
            strong { "synthetic" } ": a machine voice stands in until someone records it; "
            strong { "text" } ": no recording, the gateway's speech engine reads the text; "
            strong { "said in hi" } ": no gateway voice reads the language, callers hear the prompt in Hindi until it is recorded; "
            strong { "missing" } ": callers hear nothing. "
            span.unchecked { "⚠" } " marks a text no native speaker has checked yet: have one read it before recording. "
            "Tap a prompt to play, upload or roll back."
        }
        div.scroll { table.matrix {
            tr {
                th { "प्रॉम्प्ट · Prompt" }
                @for lang in &coverage.languages { th title=(language_label(Some(lang.as_str()))) { (lang) } }
            }
            @for row in &coverage.rows {
                tr {
                    td { code { (row.key) } }
                    @for (lang, cell) in coverage.languages.iter().zip(&row.cells) {
                        td {
                            (cell_link(lang, &row.key, cell))
                            @if *cell != Cell::NotUsed && row.unchecked.contains(lang) {
                                " " span.unchecked title="not yet checked by a native speaker" { "⚠" }
                            }
                        }
                    }
                }
            }
            tr {
                th { "कुल · Totals" }
                @for total in &totals {
                    td.muted {
                        span title="recorded" { (total.recorded) " ✓" } br;
                        span title="synthetic" { (total.synthetic) " synth" } br;
                        span title="text only" { (total.text_only) " text" } br;
                        span title="said in another language" { (total.said_instead) " instead" } br;
                        span title="missing" { (total.missing) " ✗" } br;
                        span.unchecked title="not yet checked by a native speaker" { (total.unchecked) " ⚠" }
                    }
                }
            }
        } }
    };
    page("Prompt recordings", Some(&who), body)
}

fn cell_link(lang: &Language, key: &PromptKey, cell: &Cell) -> Markup {
    let href = format!("/admin/prompts/{lang}/{key}");
    html! {
        @match cell {
            Cell::NotUsed => span.muted { "—" },
            Cell::Recorded { duration_ms, synthetic: false, .. } => a href=(href) title="recorded" { "✓ " (seconds(*duration_ms)) },
            Cell::Recorded { duration_ms, synthetic: true, .. } => a href=(href) title="synthetic" { "synth " (seconds(*duration_ms)) },
            Cell::TextOnly => a href=(href) { "text" },
            Cell::SaidInstead { language } => a href=(href) title="no voice for this language: said in another" { "said in " (language) },
            Cell::Missing => a.medical href=(href) { "✗ missing" },
        }
    }
}

async fn prompt_page(
    State(app): State<AppState>,
    Admin(who): Admin,
    Path((lang, key)): Path<(String, String)>,
) -> Result<Response, AppError> {
    show_prompt(&app, &who, &lang, &key, StatusCode::OK, None).await
}

/// A prompt's page (for an admin), with `status` and what just happened.
async fn show_prompt(
    app: &AppState,
    who: &SignedIn,
    lang: &str,
    key: &str,
    status: StatusCode,
    message: Option<(bool, String)>,
) -> Result<Response, AppError> {
    let (language, key) = parse_prompt(lang, key)?;
    app.prompts.check_prompt(&language, &key)?;
    let versions = app.prompts.versions(&language, &key).await?;
    let text = app.prompts.catalog().text(&key, &language).map(str::to_owned);
    let current = app.prompts.index().get(&language, &key);
    let uploaded_active = versions.iter().any(|v| v.active);
    let base = format!("/admin/prompts/{language}/{key}");
    let body = html! {
        p { a href="/admin/prompts" { "← सभी रिकॉर्डिंग · All prompts" } }
        h1 { code { (key) } " · " (language_label(Some(language.as_str()))) }
        @if let Some((ok, message)) = &message {
            @if *ok { p.flash { (message) } } @else { p.error { (message) } }
        }
        div.card {
            h2 { "क्या बोलना है · What to say" }
            @if !app.prompts.catalog().is_checked(&key, &language) {
                p.unchecked { "⚠ Not yet checked by a native speaker: machine-written or new. Have a native speaker read it before recording it." }
            }
            @match &text {
                Some(text) => p lang=(language) { (text) },
                None => p.muted { "The catalog has no text for this prompt in this language." },
            }
            @match &current {
                Some(recording) => {
                    p { "Now playing to callers" @if recording.synthetic { " (synthetic placeholder)" } ": " (seconds(recording.duration_ms)) }
                    audio #now-playing controls preload="none" src={ "/prompts/" (language) "/" (key) "." (recording.version) ".wav" } {}
                    @if uploaded_active {
                        form method="post" action={ (base) "/use-text" } {
                            (csrf_field(who))
                            button.secondary #use-text type="submit" { "टेक्स्ट बोलें · Use the text instead" }
                        }
                        p.muted { "Callers then hear the prompt's text read by the gateway's speech engine (or the file shipped with Sampark, if there is one); the recordings stay below." }
                    }
                }
                None => p.muted { "No recording: callers hear the text read by the gateway's speech engine." },
            }
        }
        div.card {
            h2 { "नई रिकॉर्डिंग · Upload a recording" }
            p.muted { "WAV, MP3, OGG or FLAC, as a phone or laptop records it; up to two minutes. Sampark checks it, evens its loudness and converts it for phone lines. The previous version is kept." }
            form method="post" action=(base) enctype="multipart/form-data" {
                (csrf_field(who))
                label for="file" { "फ़ाइल · File" }
                input id="file" name="file" type="file" accept="audio/*,.wav,.mp3,.ogg,.flac" required;
                p { button #upload type="submit" { "अपलोड · Upload" } }
            }
        }
        h2 { "संस्करण · Versions" }
        @if versions.is_empty() {
            p.muted { "Nothing uploaded yet." }
        } @else {
            @if versions.iter().position(|v| v.active).is_some_and(|i| i + 1 < versions.len()) {
                form method="post" action={ (base) "/rollback" } {
                    (csrf_field(who))
                    button.secondary #rollback type="submit" { "पिछला वापस लाएँ · Roll back to the previous version" }
                }
            }
            @for version in &versions {
                div.card {
                    p {
                        strong { "#" (version.id) }
                        @if version.active { " · " strong { "active" } }
                        @if version.synthetic { " · synthetic" }
                        br;
                        span.muted {
                            (seconds(u64::try_from(version.duration_ms).unwrap_or(0))) " · uploaded as "
                            (version.original_format) " by " (version.uploaded_by) ", " (when(&version.uploaded_at))
                        }
                    }
                    audio controls preload="none" src={ "/admin/prompts/versions/" (version.id) ".wav" } {}
                    p {
                        a href={ "/admin/prompts/versions/" (version.id) ".original" } { "original upload" }
                    }
                    @if !version.active {
                        form method="post" action={ (base) "/versions/" (version.id) "/activate" } {
                            (csrf_field(who))
                            button.secondary type="submit" { "इसे चलाएँ · Make this the active version" }
                        }
                    }
                }
            }
        }
    };
    Ok((status, page(&format!("{key} · {language}"), Some(who), body)).into_response())
}

/// The upload form: a multipart body with `csrf` and `file`.
async fn upload(
    State(app): State<AppState>,
    Path((lang, key)): Path<(String, String)>,
    CsrfUpload { user: Admin(who), file, .. }: CsrfUpload<Admin>,
) -> Result<Response, AppError> {
    let (language, prompt_key) = parse_prompt(&lang, &key)?;
    let Some(bytes) = file else {
        let message = Some((false, "Choose a file to upload.".to_owned()));
        return show_prompt(&app, &who, &lang, &key, StatusCode::BAD_REQUEST, message).await;
    };
    let upload = Upload { language, key: prompt_key, bytes, uploaded_by: who.user.username.clone(), synthetic: false };
    let uploaded = match app.prompts.upload(upload, app.desk.now()).await {
        Ok(uploaded) => uploaded,
        Err(e) => return show_refusal(&app, &who, &lang, &key, e).await,
    };
    let version = uploaded.version;
    let message = if uploaded.new {
        audit(&app, &who.user, "prompt_upload", &version).await;
        let duration = seconds(u64::try_from(version.duration_ms).unwrap_or(0));
        format!("Version #{} is now playing to callers ({duration}).", version.id)
    } else {
        format!("That recording is version #{}, which is already playing to callers.", version.id)
    };
    show_prompt(&app, &who, &lang, &key, StatusCode::OK, Some((true, message))).await
}

/// The prompt's page again, saying why the library refused (a 500 is an
/// error page, not the prompt's).
async fn show_refusal(
    app: &AppState,
    who: &SignedIn,
    lang: &str,
    key: &str,
    e: LibraryError,
) -> Result<Response, AppError> {
    match library_status(&e) {
        StatusCode::INTERNAL_SERVER_ERROR => Err(e.into()),
        status => show_prompt(app, who, lang, key, status, Some((false, e.to_string()))).await,
    }
}

async fn rollback(
    State(app): State<AppState>,
    Path((lang, key)): Path<(String, String)>,
    CsrfForm(Admin(who), _): CsrfForm<Admin>,
) -> Result<Response, AppError> {
    change(&app, &who, &lang, &key, Change::Rollback).await
}

async fn activate(
    State(app): State<AppState>,
    Path((lang, key, id)): Path<(String, String, i64)>,
    CsrfForm(Admin(who), _): CsrfForm<Admin>,
) -> Result<Response, AppError> {
    change(&app, &who, &lang, &key, Change::Activate(id)).await
}

async fn use_text(
    State(app): State<AppState>,
    Path((lang, key)): Path<(String, String)>,
    CsrfForm(Admin(who), _): CsrfForm<Admin>,
) -> Result<Response, AppError> {
    change(&app, &who, &lang, &key, Change::UseText).await
}

/// What a form on the prompt page asks for.
#[derive(Debug, Clone, Copy)]
enum Change {
    Rollback,
    Activate(i64),
    UseText,
}

/// Rolls back, activates a version or goes back to the text, then shows the prompt.
async fn change(app: &AppState, who: &SignedIn, lang: &str, key: &str, change: Change) -> Result<Response, AppError> {
    let (language, prompt_key) = parse_prompt(lang, key)?;
    let (action, result) = match change {
        Change::Rollback => ("prompt_rollback", app.prompts.rollback(&language, &prompt_key).await),
        Change::Activate(id) => ("prompt_activate", app.prompts.activate(&language, &prompt_key, id).await),
        Change::UseText => ("prompt_use_text", app.prompts.use_text(&language, &prompt_key).await),
    };
    match result {
        Ok(version) => {
            audit(app, &who.user, action, &version).await;
            Ok(Redirect::to(&format!("/admin/prompts/{language}/{prompt_key}")).into_response())
        }
        Err(e) => show_refusal(app, who, lang, key, e).await,
    }
}

/// `/admin/prompts/versions/<id>.wav` (as converted) or `<id>.original` (as uploaded).
async fn version_audio(State(app): State<AppState>, _: Admin, Path(file): Path<String>) -> Result<Response, AppError> {
    let not_found = || AppError::not_found("no such version");
    let (id, kind) = file.split_once('.').ok_or_else(not_found)?;
    let id = id.parse::<i64>().map_err(|_| not_found())?;
    let original = match kind {
        "wav" => false,
        "original" => true,
        _ => return Err(not_found()),
    };
    match app.prompts.version_audio(id, original).await? {
        Some(bytes) => {
            let content_type = if original { "application/octet-stream" } else { "audio/wav" };
            let disposition =
                if original { format!("attachment; filename=\"prompt-version-{id}\"") } else { "inline".to_owned() };
            Ok((
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
                ],
                bytes,
            )
                .into_response())
        }
        None => Err(not_found()),
    }
}
