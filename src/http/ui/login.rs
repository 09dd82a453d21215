//! Signing in and out.

use std::net::SocketAddr;

use axum::{
    Form, Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{AppendHeaders, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::html;
use serde::Deserialize;

use super::page;
use crate::http::{
    AppState,
    access::{Account, CsrfForm},
    error::{AppError, PASSWORD_PAGE},
    session::{Attempt, BUSY_RETRY_AFTER, SameOrigin, SignInError, device_cookie, session_cookie, sign_in},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout))
}

fn login_form(error: Option<&str>) -> maud::Markup {
    login_page_with(error, false)
}

/// The sign-in form; `first_start` says how to make the first admin, when
/// nobody can sign in yet.
fn login_page_with(error: Option<&str>, first_start: bool) -> maud::Markup {
    page(
        "Sign in",
        None,
        html! {
            h1 { "साइन इन · Sign in" }
            @if first_start {
                div.notice {
                    p { "अभी कोई साइन इन नहीं कर सकता · Nobody can sign in yet. Whoever runs this server creates the first admin, on the server, in the folder it runs in:" }
                    pre { code { (crate::auth::FIRST_ADMIN_COMMAND) } }
                }
            }
            @if let Some(error) = error { p.error { (error) } }
            form method="post" action="/login" {
                label for="username" { "यूज़रनेम · Username" }
                input id="username" name="username" autocomplete="username" autocapitalize="none" required;
                label for="password" { "पासवर्ड · Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                p { button type="submit" { "साइन इन · Sign in" } }
            }
        },
    )
}

async fn login_page(State(app): State<AppState>) -> Result<maud::Markup, AppError> {
    let first_start = !app.users.anyone_can_sign_in().await?;
    Ok(login_page_with(None, first_start))
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(
    State(app): State<AppState>,
    _: SameOrigin,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let attempt = Attempt::new(&app, &peer, &headers, form.username.trim(), &form.password);
    // Refusals show the sign-in form again, with why.
    Ok(match sign_in(&app, attempt).await {
        Ok(session) => {
            let cookies = [
                (header::SET_COOKIE, session_cookie(&app, Some(&session.token))),
                (header::SET_COOKIE, device_cookie(&app, &session.device)),
            ];
            // A one-time password an admin set leads straight to choosing one's own.
            let next = if session.user.must_change_password { PASSWORD_PAGE } else { "/" };
            (AppendHeaders(cookies), Redirect::to(next)).into_response()
        }
        Err(SignInError::Invalid) => {
            (StatusCode::UNAUTHORIZED, login_form(Some("गलत यूज़रनेम या पासवर्ड · Wrong username or password")))
                .into_response()
        }
        Err(SignInError::Throttled(wait)) => {
            let message = format!(
                "बहुत सारी गलत कोशिशें। {} सेकंड बाद फिर कोशिश करें · Too many failed attempts: try again in {} seconds",
                wait.as_secs().max(1),
                wait.as_secs().max(1)
            );
            retry_later(StatusCode::TOO_MANY_REQUESTS, wait, &message)
        }
        Err(SignInError::Busy) => retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            BUSY_RETRY_AFTER,
            "सर्वर अभी व्यस्त है। कुछ सेकंड बाद फिर कोशिश करें · The server is busy: try again in a few seconds",
        ),
        Err(SignInError::Store(e)) => return Err(e.into()),
    })
}

/// The sign-in form again, with why and a `Retry-After`.
fn retry_later(status: StatusCode, wait: std::time::Duration, message: &str) -> Response {
    let retry = wait.as_secs().max(1).to_string();
    (status, [(header::RETRY_AFTER, retry)], login_form(Some(message))).into_response()
}

/// Signing out works for everyone signed in, a user who must still choose
/// their password too.
async fn logout(
    State(app): State<AppState>,
    CsrfForm(Account(who), _): CsrfForm<Account>,
) -> Result<Response, AppError> {
    app.users.delete_session(&who.token_hash).await?;
    Ok(([(header::SET_COOKIE, session_cookie(&app, None))], Redirect::to("/login")).into_response())
}
