//! Signing in and out, and knowing who is signed in.
//!
//! A session travels in the `sampark_session` cookie (HttpOnly,
//! SameSite=Lax, Secure when the public URL is https) or, for scripts, as
//! `Authorization: Bearer <token>`. Forms carry the session's CSRF token in
//! a `csrf` field; cookie-authenticated API calls that change something
//! carry it in `X-CSRF-Token`. Bearer calls need none: a browser never
//! attaches a bearer token by itself.

use std::{net::SocketAddr, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};

use super::{AppState, guard::client_ip};
use crate::{
    auth::{self, User, constant_time_eq, login_wait, new_token, token_hash, verify_password},
    storage::StoreError,
};

pub const SESSION_COOKIE: &str = "sampark_session";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Who made the request, and how they proved it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub csrf: String,
    pub token_hash: String,
    bearer: bool,
}

impl SignedIn {
    /// A form's or header's CSRF token is right (bearer requests need none).
    pub fn csrf_ok(&self, given: Option<&str>) -> bool {
        self.bearer || given.is_some_and(|g| constant_time_eq(g, &self.csrf))
    }
}

fn session_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_owned(), true));
    }
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    cookies
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| (value.to_owned(), false))
}

async fn signed_in(parts: &Parts, app: &AppState) -> Result<Option<SignedIn>, StoreError> {
    let Some((token, bearer)) = session_token(&parts.headers) else { return Ok(None) };
    let hash = token_hash(&token);
    let session = app.desk.store().session(&hash, app.desk.now()).await?;
    Ok(session.map(|(user, csrf)| SignedIn { user, csrf, token_hash: hash, bearer }))
}

/// A signed-in user for the JSON API; 401 otherwise.
pub struct ApiUser(pub SignedIn);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        match signed_in(parts, app).await {
            Ok(Some(s)) => Ok(Self(s)),
            Ok(None) => {
                Err((StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "sign in first"})))
                    .into_response())
            }
            Err(e) => Err(super::internal(&e)),
        }
    }
}

/// A signed-in user for the web pages; a redirect to the sign-in page otherwise.
pub struct PageUser(pub SignedIn);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        match signed_in(parts, app).await {
            Ok(Some(s)) => Ok(Self(s)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(super::internal(&e)),
        }
    }
}

/// Why signing in failed.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong username or password, or a disabled user (not told apart).
    Invalid,
    /// Too many failures: wait this long.
    Throttled(Duration),
    Store(StoreError),
}

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A new session: its token (for the cookie or bearer header) and CSRF token.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user: User,
}

/// Checks the password (as slowly for unknown users), applies the failure
/// throttle per username and per client address, and opens a session.
pub async fn sign_in(app: &AppState, username: &str, password: &str, client: &str) -> Result<NewSession, SignInError> {
    let store = app.desk.store();
    let now = app.desk.now();
    let keys = [format!("user:{username}"), format!("addr:{client}")];
    for key in &keys {
        if let Some((failures, last)) = store.login_failures(key).await? {
            let wait = login_wait(failures);
            let elapsed = (now - last).to_std().unwrap_or_default();
            if elapsed < wait {
                return Err(SignInError::Throttled(wait - elapsed));
            }
        }
    }
    let found = store.user_with_password(username).await?;
    let hash = found.as_ref().map_or(auth::decoy_hash(), |(_, h)| h.as_str()).to_owned();
    let password = password.to_owned();
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    let user = match found {
        Some((user, _)) if valid && !user.disabled => user,
        _ => {
            for key in &keys {
                store.note_login_failure(key, now).await?;
            }
            return Err(SignInError::Invalid);
        }
    };
    store.clear_login_failures(&keys[0]).await?;
    let (token, csrf) = (new_token(), new_token());
    let expires = now + chrono::Duration::from_std(SESSION_TTL).expect("a small duration");
    store.create_session(&token_hash(&token), user.id, &csrf, now, expires).await?;
    Ok(NewSession { token, csrf, user })
}

/// The client's address for the sign-in throttle.
pub fn client_key(app: &AppState, peer: &ConnectInfo<SocketAddr>, headers: &HeaderMap) -> String {
    client_ip(peer.0.ip(), headers, &app.gateways.trusted_proxies).to_string()
}

/// `Set-Cookie` for a new session (or, with `None`, one that clears it).
pub fn session_cookie(app: &AppState, token: Option<&str>) -> String {
    let secure = if app.public_url.starts_with("https://") { "; Secure" } else { "" };
    match token {
        Some(token) => {
            format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                SESSION_TTL.as_secs()
            )
        }
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}
