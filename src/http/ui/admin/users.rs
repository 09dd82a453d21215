//! The users page's handlers: add a user, edit one's role, states,
//! languages and phone, set a one-time password, disable and enable.
//!
//! Fields are judged by the same rules as `sampark users` ([`new_user`],
//! [`Profile::with`], [`one_time_password`]); a refusal shows the page
//! again with why, beside the form, with what was typed still in it
//! (passwords apart). Each change is written to the audit log.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use maud::Markup;
use serde::Deserialize;

use super::users_page::{AddUser, EditUser, Notice, Problem, users_page};
use crate::{
    auth::{PasswordError, Profile, ProfileChange, User, new_user, one_time_password},
    db::StoreError,
    domain::Language,
    http::{
        AppState,
        access::{Admin, CsrfForm},
        error::AppError,
        session::{BUSY_RETRY_AFTER, SignedIn},
    },
};

#[derive(Deserialize)]
pub(super) struct ResetPassword {
    password: String,
}

pub(super) async fn list(
    State(app): State<AppState>,
    Admin(who): Admin,
    Query(notice): Query<Notice>,
) -> Result<Markup, AppError> {
    users_page(&app, &who, &notice, None).await
}

/// The page again, with `problem` beside its form (422).
async fn refused(app: &AppState, who: &SignedIn, problem: Problem<'_>) -> Result<Response, AppError> {
    let page = users_page(app, who, &Notice::default(), Some(&problem)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The catalog's languages, as the rules want them asked.
fn known_language(app: &AppState) -> impl Fn(&Language) -> bool {
    let catalog = app.prompts.catalog();
    move |l| catalog.language(l).is_some()
}

async fn audit(app: &AppState, who: &User, action: &str, details: String) -> Result<(), AppError> {
    Ok(app.desk.audit(who, action, None, Some(details)).await?)
}

pub(super) async fn add(
    State(app): State<AppState>,
    CsrfForm(Admin(who), form): CsrfForm<Admin, AddUser>,
) -> Result<Response, AppError> {
    let known = known_language(&app);
    let f = &form;
    let user = match new_user(&f.username, &f.role, &f.states, &f.languages, &f.phone, &f.password, &known) {
        Ok(user) => user,
        Err(message) => return refused(&app, &who, Problem::Add { message, form: &form }).await,
    };
    match app.users.create_user(&user, app.desk.now()).await {
        Ok(_) => {}
        Err(StoreError::Conflict(what)) => {
            return refused(&app, &who, Problem::Add { message: format!("{what} already exists"), form: &form }).await;
        }
        Err(e) => return Err(e.into()),
    }
    audit(&app, &who.user, "user_add", format!("{} ({})", user.username, user.role)).await?;
    Ok(Redirect::to(&format!("/admin/users?saved={}", user.username)).into_response())
}

pub(super) async fn edit(
    State(app): State<AppState>,
    Path(name): Path<String>,
    CsrfForm(Admin(who), form): CsrfForm<Admin, EditUser>,
) -> Result<Response, AppError> {
    let Some(user) = app.users.user(&name).await? else { return Err(AppError::not_found("no such user")) };
    let before = Profile::of(&user);
    let change = ProfileChange::all(&form.role, &form.states, &form.languages, &form.phone);
    let after = match before.with(&change, &known_language(&app)) {
        Ok(profile) => profile,
        Err(message) => return refused(&app, &who, Problem::Edit { name: &name, message, form: &form }).await,
    };
    let changes = after.changes_from(&before);
    if !changes.is_empty() {
        match app.users.update_profile(&name, &after).await {
            Err(StoreError::NotFound) => return Err(AppError::not_found("no such user")),
            result => drop(result?),
        }
        audit(&app, &who.user, "user_edit", format!("{name}: {changes}")).await?;
    }
    Ok(Redirect::to(&format!("/admin/users?saved={name}")).into_response())
}

pub(super) async fn reset_password(
    State(app): State<AppState>,
    Path(name): Path<String>,
    CsrfForm(Admin(who), form): CsrfForm<Admin, ResetPassword>,
) -> Result<Response, AppError> {
    if app.users.user(&name).await?.is_none() {
        return Err(AppError::not_found("no such user"));
    }
    let Ok(turn) = app.password_checks.turn().await else {
        let message = "the server is busy: try again in a few seconds";
        return Err(AppError::Unavailable { message: message.into(), retry_after: BUSY_RETRY_AFTER });
    };
    let (user, password) = (name.clone(), form.password);
    let hash = match turn.hash(move || one_time_password(&user, &password)).await {
        Ok(hash) => hash,
        Err(e @ PasswordError::Hash(_)) => return Err(AppError::Internal(Box::new(e))),
        Err(weak) => return refused(&app, &who, Problem::Reset { name: &name, message: weak.to_string() }).await,
    };
    match app.users.reset_password(&name, &hash, app.desk.now()).await {
        Err(StoreError::NotFound) => return Err(AppError::not_found("no such user")),
        result => result?,
    }
    audit(&app, &who.user, "password_reset", name.clone()).await?;
    if name == who.user.username {
        // Their own sessions ended with it, this one too.
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(Redirect::to(&format!("/admin/users?reset={name}")).into_response())
}

async fn set_disabled(app: &AppState, who: &User, name: &str, disabled: bool) -> Result<Redirect, AppError> {
    match app.users.set_user_disabled(name, disabled, app.desk.now()).await {
        Err(StoreError::NotFound) => return Err(AppError::not_found("no such user")),
        result => result?,
    }
    audit(app, who, if disabled { "user_disable" } else { "user_enable" }, name.to_owned()).await?;
    Ok(Redirect::to(&format!("/admin/users?saved={name}")))
}

pub(super) async fn disable(
    State(app): State<AppState>,
    Path(name): Path<String>,
    CsrfForm(Admin(who), _): CsrfForm<Admin>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &who.user, &name, true).await
}

pub(super) async fn enable(
    State(app): State<AppState>,
    Path(name): Path<String>,
    CsrfForm(Admin(who), _): CsrfForm<Admin>,
) -> Result<Redirect, AppError> {
    set_disabled(&app, &who.user, &name, false).await
}
