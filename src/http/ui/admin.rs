//! Admin pages: users (add, disable, enable) and the audit log.

use axum::{
    Form, Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::html;
use serde::Deserialize;

use super::{csrf_field, csrf_rejected, forbidden, page, when};
use crate::{
    auth::{Role, new_user},
    http::{AppState, internal, session::PageUser},
    storage::StoreError,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{name}/disable", post(disable))
        .route("/admin/users/{name}/enable", post(enable))
        .route("/admin/audit", get(audit))
}

async fn users(State(app): State<AppState>, PageUser(who): PageUser) -> Response {
    users_page(&app, &who, None).await
}

async fn users_page(app: &AppState, who: &crate::http::session::SignedIn, message: Option<String>) -> Response {
    if who.user.role != Role::Admin {
        return forbidden();
    }
    let users = match app.desk.store().users().await {
        Ok(users) => users,
        Err(e) => return internal(&e),
    };
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
    page("Users", Some(who), body).into_response()
}

#[derive(Deserialize)]
struct AddUser {
    csrf: Option<String>,
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

async fn add_user(State(app): State<AppState>, PageUser(who): PageUser, Form(form): Form<AddUser>) -> Response {
    if who.user.role != Role::Admin {
        return forbidden();
    }
    if !who.csrf_ok(form.csrf.as_deref()) {
        return csrf_rejected();
    }
    let user = match new_user(&form.username, &form.role, &form.states, &form.languages, &form.phone, &form.password) {
        Ok(user) => user,
        Err(message) => return users_page(&app, &who, Some(message)).await,
    };
    match app.desk.store().create_user(&user, app.desk.now()).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(StoreError::Conflict(what)) => users_page(&app, &who, Some(format!("{what} already exists"))).await,
        Err(e) => internal(&e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn set_disabled(
    app: &AppState,
    who: &crate::http::session::SignedIn,
    name: &str,
    csrf: Option<&str>,
    disabled: bool,
) -> Response {
    if who.user.role != Role::Admin {
        return forbidden();
    }
    if !who.csrf_ok(csrf) {
        return csrf_rejected();
    }
    match app.desk.store().set_user_disabled(name, disabled, app.desk.now()).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(StoreError::NotFound) => (axum::http::StatusCode::NOT_FOUND, "no such user").into_response(),
        Err(e) => internal(&e),
    }
}

async fn disable(
    State(app): State<AppState>,
    PageUser(who): PageUser,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    set_disabled(&app, &who, &name, f.csrf.as_deref(), true).await
}

async fn enable(
    State(app): State<AppState>,
    PageUser(who): PageUser,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    set_disabled(&app, &who, &name, f.csrf.as_deref(), false).await
}

async fn audit(State(app): State<AppState>, PageUser(who): PageUser) -> Response {
    if who.user.role != Role::Admin {
        return forbidden();
    }
    let entries = match app.desk.audit_log().latest(500).await {
        Ok(entries) => entries,
        Err(e) => return internal(&e),
    };
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
    page("Audit log", Some(&who), body).into_response()
}
