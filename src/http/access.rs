//! Who may do what, as extractors a handler names in its signature, so it
//! cannot forget a check:
//!
//! - [`SignedIn`]: a signed-in user (pages: else to the sign-in page; the
//!   API: else 401) who has a password of their own: one signed in with a
//!   one-time password an admin set is sent to the password page (the API:
//!   403) until they choose one.
//! - [`Account`]: any signed-in user, even one who must still choose their
//!   password: only the password page and signing out take it.
//! - [`Admin`], [`Coordinator`]: a signed-in user of that role (403 else).
//! - [`Caseworker`]: a signed-in user who works cases: anyone but the
//!   central office, which sees no queue, case, number or recording (403).
//! - [`CentralOffice`]: the central office or an admin (403 else): the
//!   rollups without personal data.
//! - [`Csrf<U>`]: `U`, and the `X-CSRF-Token` header matches the session's
//!   token (the JSON API's state-changing calls).
//! - [`CsrfForm<U, T>`]: `U`, the form's `csrf` field matches, and the
//!   form parsed as `T` (the pages' forms).
//! - [`CsrfUpload<U>`]: `U`, and a multipart form whose `csrf` field
//!   matches, with its `file` (the pages' audio upload).
//!
//! Bearer-token sessions need no CSRF token: a browser never attaches a
//! bearer token by itself. The checks run in that order: signed in, role,
//! CSRF token, then the rest of the body; a forged form is refused before
//! its fields are read.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Multipart, RawForm, Request},
    http::request::Parts,
};
use serde::{Deserialize, de::DeserializeOwned};

use super::{AppState, error::AppError, session::SignedIn};
use crate::auth::{Role, constant_time_eq};

#[cfg(test)]
mod tests;

/// Refused by [`Admin`] and [`Coordinator`].
const ROLE_REFUSED: &str = "Your role does not allow this.";
/// Refused by [`Csrf`] (the API's header).
const HEADER_REFUSED: &str = "missing or wrong X-CSRF-Token";
/// Refused by [`CsrfForm`] and [`CsrfUpload`] (a page's form).
const FORM_REFUSED: &str = "This form has expired or did not come from Sampark. Go back, reload and try again.";

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let Account(who) = Account::from_request_parts(parts, app).await?;
        if who.user.must_change_password {
            return Err(AppError::PasswordChange);
        }
        Ok(who)
    }
}

/// A signed-in user, whether or not they must still replace a one-time
/// password: for the password page and signing out, nothing else.
pub struct Account(pub SignedIn);

impl FromRequestParts<AppState> for Account {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        super::session::signed_in(parts, app).await?.map(Self).ok_or(AppError::SignIn)
    }
}

impl Authenticated for Account {
    fn session(&self) -> &SignedIn {
        &self.0
    }
}

/// An extractor that proves who is signed in; [`Csrf`], [`CsrfForm`] and
/// [`CsrfUpload`] check the CSRF token of its session.
pub trait Authenticated: FromRequestParts<AppState, Rejection = AppError> + Send {
    fn session(&self) -> &SignedIn;
}

impl Authenticated for SignedIn {
    fn session(&self) -> &SignedIn {
        self
    }
}

/// A signed-in admin.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let who = SignedIn::from_request_parts(parts, app).await?;
        if who.user.role != Role::Admin {
            return Err(AppError::forbidden(ROLE_REFUSED));
        }
        Ok(Self(who))
    }
}

impl Authenticated for Admin {
    fn session(&self) -> &SignedIn {
        &self.0
    }
}

/// A signed-in coordinator or admin (not a volunteer, not the central
/// office).
pub struct Coordinator(pub SignedIn);

impl FromRequestParts<AppState> for Coordinator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let who = SignedIn::from_request_parts(parts, app).await?;
        if !matches!(who.user.role, Role::Coordinator | Role::Admin) {
            return Err(AppError::forbidden(ROLE_REFUSED));
        }
        Ok(Self(who))
    }
}

impl Authenticated for Coordinator {
    fn session(&self) -> &SignedIn {
        &self.0
    }
}

/// A signed-in user who works cases: anyone but the central office.
pub struct Caseworker(pub SignedIn);

impl FromRequestParts<AppState> for Caseworker {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let who = SignedIn::from_request_parts(parts, app).await?;
        if !who.user.role.works_cases() {
            return Err(AppError::forbidden(ROLE_REFUSED));
        }
        Ok(Self(who))
    }
}

impl Authenticated for Caseworker {
    fn session(&self) -> &SignedIn {
        &self.0
    }
}

/// The central office or an admin: the rollups without personal data.
pub struct CentralOffice(pub SignedIn);

impl FromRequestParts<AppState> for CentralOffice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let who = SignedIn::from_request_parts(parts, app).await?;
        if !matches!(who.user.role, Role::Central | Role::Admin) {
            return Err(AppError::forbidden(ROLE_REFUSED));
        }
        Ok(Self(who))
    }
}

/// `U`, for a request whose `X-CSRF-Token` header carries the session's
/// CSRF token (or that came with a bearer token).
pub struct Csrf<U>(pub U);

impl<U: Authenticated> FromRequestParts<AppState> for Csrf<U> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let user = U::from_request_parts(parts, app).await?;
        let given = parts.headers.get("X-CSRF-Token").and_then(|v| v.to_str().ok());
        if !csrf_ok(user.session(), given) {
            return Err(AppError::forbidden(HEADER_REFUSED));
        }
        Ok(Self(user))
    }
}

/// The fields of a form that has nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// `U` and a URL-encoded form whose `csrf` field carries the session's
/// CSRF token, its fields parsed as `T` (which ignores `csrf`).
pub struct CsrfForm<U, T = NoFields>(pub U, pub T);

impl<U: Authenticated, T: DeserializeOwned> FromRequest<AppState> for CsrfForm<U, T> {
    type Rejection = AppError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, AppError> {
        let (user, request) = authenticate::<U>(request, app).await?;
        let RawForm(body) = RawForm::from_request(request, app).await?;
        let field: CsrfField = serde_urlencoded::from_bytes(&body).unwrap_or(CsrfField { csrf: None });
        if !csrf_ok(user.session(), field.csrf.as_deref()) {
            return Err(AppError::forbidden(FORM_REFUSED));
        }
        let form = serde_urlencoded::from_bytes(&body)
            .map_err(|e| AppError::unprocessable(format!("Failed to deserialize form body: {e}")))?;
        Ok(Self(user, form))
    }
}

/// `U` and a multipart form whose `csrf` field carries the session's CSRF
/// token; `file` is its `file` field (`None` when absent or empty), and
/// `fields` its other fields, as text.
pub struct CsrfUpload<U> {
    pub user: U,
    pub file: Option<Vec<u8>>,
    pub fields: Vec<(String, String)>,
}

impl<U: Authenticated> FromRequest<AppState> for CsrfUpload<U> {
    type Rejection = AppError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, AppError> {
        let (user, request) = authenticate::<U>(request, app).await?;
        let mut form = Multipart::from_request(request, app).await?;
        let (mut csrf, mut file, mut fields) = (None, None, Vec::new());
        while let Some(field) = form.next_field().await? {
            match field.name().map(str::to_owned) {
                Some(name) if name == "csrf" => csrf = field.text().await.ok(),
                Some(name) if name == "file" => {
                    if let Some(file_name) = field.file_name() {
                        fields.push(("file_name".to_owned(), file_name.to_owned()));
                    }
                    file = Some(field.bytes().await?);
                }
                Some(name) => fields.push((name, field.text().await?)),
                None => {}
            }
        }
        if !csrf_ok(user.session(), csrf.as_deref()) {
            return Err(AppError::forbidden(FORM_REFUSED));
        }
        let file = file.filter(|f: &Bytes| !f.is_empty()).map(|f| f.to_vec());
        Ok(Self { user, file, fields })
    }
}

/// A form's or header's CSRF token is the session's (compared in constant
/// time); bearer sessions need none.
fn csrf_ok(who: &SignedIn, given: Option<&str>) -> bool {
    who.bearer || given.is_some_and(|g| constant_time_eq(g, &who.csrf))
}

/// Runs `U` on the request's head, giving the request back for its body.
async fn authenticate<U: Authenticated>(request: Request, app: &AppState) -> Result<(U, Request), AppError> {
    let (mut parts, body) = request.into_parts();
    let user = U::from_request_parts(&mut parts, app).await?;
    Ok((user, Request::from_parts(parts, body)))
}
