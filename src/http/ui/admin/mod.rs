//! Admin pages: users (add, disable, enable) and the audit log.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, page, when};
use crate::{
    auth::new_user,
    db::StoreError,
    http::{
        AppState,
        access::{Admin, CsrfForm},
        error::AppError,
        session::SignedIn,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{name}/disable", post(disable))
        .route("/admin/users/{name}/enable", post(enable))
        .route("/admin/audit", get(audit))
}

async fn users(State(app): State<AppState>, Admin(who): Admin) -> Result<Markup, AppError> {
    users_page(&app, &who, None).await
}

/// The users, and the form to add one (for an admin).
async fn users_page(app: &AppState, who: &SignedIn, message: Option<String>) -> Result<Markup, AppError> {
    let users = app.users.users().await?;
    let body = html! {
        h1 { "उपयोगकर्ता · Users" }
        @if let Some(message) = message { p.error { (message) } }
        table {
            tr { th { "नाम · User" } th { "भूमिका · Role" } th { "राज्य · States" } th { "भाषाएँ · Languages" } th {} }
            @for user in &users {
                tr {
                    td { (user.username) @if user.disabled { " (disabled)" } }
                    td { (user.role) }
                    td { (user.states.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                    td { (user.languages.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                    td {
                        @let action = if user.disabled { "enable" } else { "disable" };
                        form method="post" action={ "/admin/users/" (user.username) "/" (action) } {
                            (csrf_field(who))
                            button.secondary type="submit" { (action) }
                        }
                    }
                }
            }
        }
        h2 { "नया उपयोगकर्ता · Add a user" }
        form.card method="post" action="/admin/users" {
            (csrf_field(who))
            label for="username" { "यूज़रनेम · Username" } input id="username" name="username" required;
            label for="role" { "भूमिका · Role" }
            select id="role" name="role" { option { "volunteer" } option { "coordinator" } option { "admin" } }
            label for="states" { "राज्य कोड (कॉमा से) · State codes, comma-separated" } input id="states" name="states" placeholder="9,10";
            label for="languages" { "भाषाएँ · Languages" } input id="languages" name="languages" placeholder="hi,bn";
            label for="phone" { "फ़ोन (कॉल के लिए) · Phone (for Call now)" } input id="phone" name="phone" type="tel";
            label for="password" { "पासवर्ड · Password (10+ characters, hard to guess)" } input id="password" name="password" type="password" required;
            p { button type="submit" { "जोड़ें · Add" } }
        }
    };
    Ok(page("Users", Some(who), body))
}

#[derive(Deserialize)]
struct AddUser {
    username: String,
    role: String,
    #[serde(default)]
    states: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    phone: String,
    password: String,
}

async fn add_user(
    State(app): State<AppState>,
    CsrfForm(Admin(who), form): CsrfForm<Admin, AddUser>,
) -> Result<Response, AppError> {
    let catalog = app.prompts.catalog();
    let known = |l: &crate::domain::Language| catalog.language(l).is_some();
    let user = match new_user(
        &form.username,
        &form.role,
        &form.states,
        &form.languages,
        &form.phone,
        &form.password,
        &known,
    ) {
        Ok(user) => user,
        Err(message) => return Ok(users_page(&app, &who, Some(message)).await?.into_response()),
    };
    match app.users.create_user(&user, app.desk.now()).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(StoreError::Conflict(what)) => {
            Ok(users_page(&app, &who, Some(format!("{what} already exists"))).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_disabled(app: &AppState, name: &str, disabled: bool) -> Result<Redirect, AppError> {
    match app.users.set_user_disabled(name, disabled, app.desk.now()).await {
        Ok(()) => Ok(Redirect::to("/admin/users")),
        Err(StoreError::NotFound) => Err(AppError::not_found("no such user")),
        Err(e) => Err(e.into()),
    }
}

async fn disable(
    State(app): State<AppState>,
    Path(name): Path<String>,
    _: CsrfForm<Admin>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &name, true).await
}

async fn enable(
    State(app): State<AppState>,
    Path(name): Path<String>,
    _: CsrfForm<Admin>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &name, false).await
}

async fn audit(State(app): State<AppState>, Admin(who): Admin) -> Result<Markup, AppError> {
    let entries = app.desk.audit_log().latest(500).await?;
    let body = html! {
        h1 { "ऑडिट लॉग · Audit log" }
        p.muted { "किसने किस कॉलर का नंबर देखा, रिकॉर्डिंग सुनी, या डेटा निकाला · Who saw which caller's number, played which recording, exported what." }
        table {
            tr { th { "कब · When" } th { "कौन · Who" } th { "क्या · What" } th { "केस · Case" } th { "विवरण · Details" } }
            @for e in &entries {
                tr {
                    td { (when(&e.at)) }
                    td { (e.username.as_deref().unwrap_or("-")) }
                    td { (e.action) }
                    td { @if let Some(id) = e.case_id { "#" (id) } }
                    td { (e.details.as_deref().unwrap_or("")) }
                }
            }
        }
    };
    Ok(page("Audit log", Some(&who), body))
}
