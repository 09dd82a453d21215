//! The password page: where a user signed in with a one-time password an
//! admin set chooses their own (every other page sends them here until
//! they do, see [`crate::http::access::SignedIn`]), and where anyone signed
//! in changes theirs.
//!
//! The current password is asked for first, and checked under a
//! password-check turn like a sign-in, so a session left open on a shared
//! phone cannot be turned into a changed password; only then is the new one
//! judged (strong, typed twice the same, not the current one).

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, page};
use crate::{
    auth::{NewPasswordError, PasswordError, check_new_password, hash_password},
    db::StoreError,
    http::{
        AppState,
        access::{Account, CsrfForm},
        error::{AppError, PASSWORD_PAGE},
        session::{BUSY_RETRY_AFTER, SignedIn},
    },
};

pub fn router() -> Router<AppState> {
    // Spelled out, as every route is, for the CSRF test's reading of the
    // routers; it is `PASSWORD_PAGE`.
    Router::new().route("/account/password", get(password_page).post(change_password))
}

async fn password_page(Account(who): Account) -> Markup {
    password_form(&who, None)
}

fn password_form(who: &SignedIn, error: Option<&str>) -> Markup {
    let forced = who.user.must_change_password;
    let body = html! {
        h1 { "नया पासवर्ड · Choose a new password" }
        @if forced {
            p.notice { "एडमिन ने आपके लिए एक बार का पासवर्ड रखा है। आगे बढ़ने के लिए अपना पासवर्ड चुनें · An admin set a one-time password for you. Choose a password of your own to go on." }
        }
        @if let Some(error) = error { p.error #password-error { (error) } }
        form.card method="post" action=(PASSWORD_PAGE) {
            (csrf_field(who))
            label for="current" {
                @if forced { "एक बार का पासवर्ड · The one-time password you were given" }
                @else { "अभी का पासवर्ड · Your password now" }
            }
            input #current name="current" type="password" autocomplete="current-password" required;
            label for="new" { "नया पासवर्ड · New password (10+ characters, hard to guess)" }
            input #new name="new" type="password" autocomplete="new-password" required;
            label for="again" { "नया पासवर्ड फिर से · The new password again" }
            input #again name="again" type="password" autocomplete="new-password" required;
            p { button #change-password type="submit" { "बदलें · Change" } }
        }
    };
    page("Password", Some(who), body)
}

#[derive(Deserialize)]
struct ChangeForm {
    current: String,
    new: String,
    again: String,
}

/// The form again with why it was refused (what was typed is not sent
/// back: these are passwords).
fn refused(who: &SignedIn, status: StatusCode, why: &str) -> Response {
    (status, password_form(who, Some(why))).into_response()
}

async fn change_password(
    State(app): State<AppState>,
    CsrfForm(Account(who), form): CsrfForm<Account, ChangeForm>,
) -> Result<Response, AppError> {
    const BUSY: &str = "सर्वर अभी व्यस्त है · The server is busy: try again in a few seconds";
    let Some((user, hash)) = app.users.user_with_password(&who.user.username).await? else {
        return Err(AppError::SignIn);
    };
    let Ok(turn) = app.password_checks.turn().await else {
        return Err(AppError::Unavailable { message: BUSY.into(), retry_after: BUSY_RETRY_AFTER });
    };
    if !turn.verify(form.current.clone(), hash.clone()).await {
        let why = "अभी का पासवर्ड गलत है · That is not your password now";
        return Ok(refused(&who, StatusCode::UNPROCESSABLE_ENTITY, why));
    }
    if let Err(e) = check_new_password(&user.username, &form.current, &form.new, &form.again) {
        return Ok(refused(&who, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()));
    }
    let Ok(turn) = app.password_checks.turn().await else {
        return Err(AppError::Unavailable { message: BUSY.into(), retry_after: BUSY_RETRY_AFTER });
    };
    let new = form.new;
    let new_hash = match turn.hash(move || hash_password(&new)).await {
        Ok(hash) => hash,
        Err(e @ PasswordError::Hash(_)) => return Err(AppError::Internal(Box::new(e))),
        Err(weak) => {
            return Ok(refused(&who, StatusCode::UNPROCESSABLE_ENTITY, &NewPasswordError::from(weak).to_string()));
        }
    };
    match app.users.change_password(user.id, &hash, &new_hash, &who.token_hash).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            let why = "आपका पासवर्ड अभी-अभी बदला गया · Your password was changed meanwhile: sign in again";
            return Ok(refused(&who, StatusCode::CONFLICT, why));
        }
        Err(e) => return Err(e.into()),
    }
    app.desk.audit(&user, "password_change", None, None).await?;
    Ok(Redirect::to("/").into_response())
}
