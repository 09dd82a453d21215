//! Signing in and out, and knowing who is signed in.
//!
//! A session travels in the `sampark_session` cookie (HttpOnly,
//! SameSite=Lax, Secure when the public URL is https) or, for scripts, as
//! `Authorization: Bearer <token>`. Forms carry the session's CSRF token in
//! a `csrf` field; cookie-authenticated API calls that change something
//! carry it in `X-CSRF-Token`. Bearer calls need none: a browser never
//! attaches a bearer token by itself. The extractors that check all this
//! are in [`super::access`].
//!
//! Signing in is guarded three ways: [`SameOrigin`] refuses a sign-in a
//! page elsewhere made the browser send (login CSRF); every attempt is
//! counted by the throttle before its password is checked
//! ([`crate::auth::throttle`]); and the check waits for one of a few turns
//! ([`crate::auth::checks`]), refused with 503 when none frees up.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, header, request::Parts},
};

use super::{AppState, error::AppError, guard::client_ip};
use crate::{
    auth::{
        self, User, UserStore, device, new_token,
        throttle::{self, Counter},
        token_hash,
    },
    db::StoreError,
};

pub const SESSION_COOKIE: &str = "sampark_session";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Who made the request, and how they proved it; as an extractor, a
/// signed-in user (see [`super::access`]).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub csrf: String,
    pub token_hash: String,
    /// Proved with a bearer token, which needs no CSRF token.
    pub(super) bearer: bool,
}

fn session_token(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(bearer) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim().to_owned(), true));
    }
    cookie(headers, SESSION_COOKIE).map(|value| (value.to_owned(), false))
}

/// The value of the cookie `name`, if the request carries it.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
    cookies
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The session the request carries, if it is current (see
/// [`super::access`] for the extractors).
pub(super) async fn signed_in(parts: &Parts, app: &AppState) -> Result<Option<SignedIn>, StoreError> {
    let Some((token, bearer)) = session_token(&parts.headers) else { return Ok(None) };
    let hash = token_hash(&token);
    let session = app.users.session(&hash, app.desk.now()).await?;
    Ok(session.map(|(user, csrf)| SignedIn { user, csrf, token_hash: hash, bearer }))
}

/// Why signing in failed.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong username or password, or a disabled user (not told apart).
    Invalid,
    /// Too many attempts: wait this long.
    Throttled(Duration),
    /// Every password-check turn was taken: try again in a moment.
    Busy,
    Store(StoreError),
}

/// What a [`SignInError::Busy`] sign-in is told to wait.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(2);

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// One sign-in attempt, as a handler read it.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's address (see [`client_ip`]).
    pub client: IpAddr,
    /// The device cookie the browser sent, if any.
    pub device: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    pub fn new(
        app: &AppState,
        peer: &ConnectInfo<SocketAddr>,
        headers: &'a HeaderMap,
        username: &'a str,
        password: &'a str,
    ) -> Self {
        let client = client_ip(peer.0.ip(), headers, &app.gateways.trusted_proxies);
        Self { username, password, client, device: cookie(headers, device::DEVICE_COOKIE) }
    }
}

/// A new session: its token (for the cookie or bearer header) and CSRF
/// token, and a fresh device cookie for the browser.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub user: User,
    pub device: String,
}

/// Takes a turn, counts the attempt under its throttle counters, checks the
/// password (as slowly for unknown users) and opens a session.
pub async fn sign_in(app: &AppState, attempt: Attempt<'_>) -> Result<NewSession, SignInError> {
    let turn = app.password_checks.turn().await.map_err(|_| SignInError::Busy)?;
    let store = &app.users;
    let now = app.desk.now();
    let known = auth::valid_username(attempt.username);
    let found = if known { store.user_with_password(attempt.username).await? } else { None };
    let device = found
        .as_ref()
        .zip(attempt.device)
        .and_then(|((user, hash), cookie)| device::recognise(cookie, &user.username, hash, now));
    let counters = throttle::counters(attempt.username, attempt.client, device);
    admit(store, &counters, now).await?;
    if !known {
        // No such user can exist: nothing to check, nor to hide.
        return Err(SignInError::Invalid);
    }
    let hash = found.as_ref().map_or(auth::decoy_hash(), |(_, h)| h.as_str()).to_owned();
    let valid = turn.verify(attempt.password.to_owned(), hash).await;
    let (user, hash) = match found {
        Some((user, hash)) if valid && !user.disabled => (user, hash),
        _ => return Err(SignInError::Invalid),
    };
    forgive(store, &counters, now).await?;
    let (token, csrf) = (new_token(), new_token());
    let expires = now + chrono::Duration::from_std(SESSION_TTL).expect("a small duration");
    store.create_session(&token_hash(&token), user.id, &csrf, now, expires).await?;
    let device = device::issue(&user.username, &hash, now);
    Ok(NewSession { token, csrf, user, device })
}

/// Counts the attempt under each counter, or refuses it with how long to
/// wait; a refused attempt is taken back from the counters it passed.
async fn admit(store: &UserStore, counters: &[Counter], now: chrono::DateTime<chrono::Utc>) -> Result<(), SignInError> {
    for (passed, counter) in counters.iter().enumerate() {
        let key = counter.key();
        if store.admit_login_attempt(&key, now, &counter.limit(now)).await?.is_some() {
            continue;
        }
        for earlier in &counters[..passed] {
            store.refund_login_attempt(&earlier.key()).await?;
        }
        let wait = match store.login_failures(&key).await? {
            Some((count, last)) => counter.wait_after(count).saturating_sub((now - last).to_std().unwrap_or_default()),
            None => Duration::ZERO,
        };
        return Err(SignInError::Throttled(wait.max(Duration::from_secs(1))));
    }
    Ok(())
}

/// After the right password: the device's and the (user, address)'s
/// attempts are forgotten, and the address gets this attempt back.
async fn forgive(
    store: &UserStore,
    counters: &[Counter],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    for counter in counters {
        match counter {
            Counter::Address(_) => store.refund_login_attempt(&counter.key()).await?,
            _ => store.clear_login_failures(&counter.key(), counter.limit(now).forget_before).await?,
        }
    }
    Ok(())
}

/// A sign-in sent from this server's own page, or by a script: refused
/// when the browser says another site's page sent it (login CSRF, which
/// would sign the victim in as the attacker). Browsers send `Origin` and
/// `Sec-Fetch-Site` on every cross-site POST; scripts send neither.
pub struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        if same_origin(&parts.headers, &app.public_url) {
            return Ok(Self);
        }
        tracing::warn!("refused a sign-in sent from another site");
        Err(AppError::forbidden("sign in from Sampark's own sign-in page"))
    }
}

/// `Sec-Fetch-Site`, when sent, says same-origin (or none: typed or
/// bookmarked); `Origin`, when sent, is the public URL's or names the host
/// the request was sent to.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase());
    if text("sec-fetch-site").is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    let Some(origin) = text("origin") else { return true };
    let authority =
        |url: &str| url.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned());
    let Some(given) = authority(&origin) else { return false };
    origin.trim_end_matches('/') == public_url.to_ascii_lowercase().trim_end_matches('/')
        || text("host").is_some_and(|host| !given.is_empty() && host == given)
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

/// `Set-Cookie` for a device cookie (see [`crate::auth::device`]).
pub fn device_cookie(app: &AppState, value: &str) -> String {
    let secure = if app.public_url.starts_with("https://") { "; Secure" } else { "" };
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        device::DEVICE_COOKIE,
        device::DEVICE_TTL.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (header::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[test]
    fn only_sign_ins_from_this_server_or_from_scripts_are_same_origin() {
        let ours = "https://helpline.example";
        assert!(same_origin(&headers(&[]), ours), "a script sends no Origin");
        assert!(same_origin(&headers(&[("origin", "https://helpline.example")]), ours));
        assert!(same_origin(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]), ours));
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), ours));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example"), ("host", "helpline.example")]), ours));
        assert!(!same_origin(&headers(&[("origin", "https://helpline.example.evil.example")]), ours));
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "helpline.example")]), ours));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), ours));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")]), ours));
    }
}
