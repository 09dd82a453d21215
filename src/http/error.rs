//! [`AppError`]: what can go wrong on a page or an API route, and the one
//! place that says which status and words each answer gets.
//!
//! Handlers return `Result<_, AppError>` and use `?`. An error renders
//! itself in the page form (plain text, or the sign-in redirect); routers
//! of the JSON API add [`as_json`], which answers the same error as
//! `{"error": "..."}` with the API's status. Rendering has no side
//! effects: the error rides in the response's extensions, and
//! [`log_errors`], inside the request's span, logs an internal failure's
//! cause once. The client is only told that something went wrong.
//!
//! Webhooks do not use this type: they answer with [`super::Refused`] or an
//! answer the gateway can play, never a 500.

use std::{borrow::Cow, sync::Arc, time::Duration};

use axum::{
    Json,
    body::Body,
    extract::{
        FromRequest, Request,
        multipart::{MultipartError, MultipartRejection},
        rejection::{BytesRejection, JsonRejection, RawFormRejection},
    },
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::{db::StoreError, prompts::LibraryError};

/// Why a page or API request failed. Messages are shown to the client;
/// an [`AppError::Internal`] cause never is.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400, with the reason.
    #[error("{0}")]
    BadRequest(Cow<'static, str>),
    /// Not signed in: pages redirect to the sign-in page, the API says 401.
    #[error("sign in first")]
    SignIn,
    /// Signed in with a one-time password an admin set: pages redirect to
    /// the page that changes it, the API says 403.
    #[error("choose a new password first, at /account/password")]
    PasswordChange,
    /// 401, with the reason (a failed sign-in).
    #[error("{0}")]
    Unauthorized(Cow<'static, str>),
    /// 403: the role, the CSRF token or the origin does not allow this.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// 422, with the reason.
    #[error("{0}")]
    Unprocessable(Cow<'static, str>),
    /// 429 with `Retry-After`.
    #[error("{message}")]
    TooManyRequests { message: Cow<'static, str>, retry_after: Duration },
    /// 503 with `Retry-After`.
    #[error("{message}")]
    Unavailable { message: Cow<'static, str>, retry_after: Duration },
    /// Any other status the client is told with a reason (408, 413, 415,
    /// 502…), mostly axum's own rejections.
    #[error("{message}")]
    Status { status: StatusCode, message: Cow<'static, str> },
    /// 500: logged with its cause, which the client never sees.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// Where a user chooses their own password.
pub const PASSWORD_PAGE: &str = "/account/password";

/// What an internal failure tells the client.
const INTERNAL: &str = "something went wrong; try again";

impl AppError {
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn unprocessable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Unprocessable(message.into())
    }

    /// An error with any status: 500s become [`AppError::Internal`].
    pub fn status(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        let message = message.into();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return Self::Internal(message.into_owned().into());
        }
        Self::Status { status, message }
    }

    /// The status the JSON API answers with (pages differ only for
    /// [`AppError::SignIn`] and [`AppError::PasswordChange`], redirects).
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::SignIn | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::PasswordChange => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Status { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told.
    pub fn message(&self) -> Cow<'_, str> {
        match self {
            Self::Internal(_) => INTERNAL.into(),
            other => other.to_string().into(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyRequests { retry_after, .. } | Self::Unavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The page form: plain text, or the redirect to the sign-in page (or
    /// to the password page).
    fn page_response(&self) -> Response {
        match self {
            Self::SignIn => Redirect::to("/login").into_response(),
            Self::PasswordChange => Redirect::to(PASSWORD_PAGE).into_response(),
            other => (other.status_code(), other.message().into_owned()).into_response(),
        }
    }
}

/// `Retry-After` in whole seconds, at least one.
fn with_retry_after(mut response: Response, error: &AppError) -> Response {
    if let Some(wait) = error.retry_after() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    }
    response
}

/// The error as it rides in a response's extensions, for [`as_json`] and
/// [`log_errors`].
#[derive(Clone)]
struct Stashed(Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = with_retry_after(self.page_response(), &self);
        response.extensions_mut().insert(Stashed(Arc::new(self)));
        response
    }
}

/// Middleware for the JSON API's routers
/// (`.layer(axum::middleware::map_response(as_json))`): an [`AppError`]
/// answered in the page form is answered as `{"error": "..."}` instead,
/// with the API's status; other headers and the stash stay.
pub async fn as_json(response: Response) -> Response {
    let Some(Stashed(error)) = response.extensions().get::<Stashed>().cloned() else { return response };
    let (mut parts, _) = response.into_parts();
    parts.status = error.status_code();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::LOCATION);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body = serde_json::to_vec(&json!({ "error": error.message() })).expect("a string serialises");
    Response::from_parts(parts, Body::from(body))
}

/// Middleware inside the request's span: logs each internal failure once,
/// with its cause, and counts and logs refused webhooks.
pub async fn log_errors(response: Response) -> Response {
    if let Some(Stashed(error)) = response.extensions().get::<Stashed>()
        && let AppError::Internal(cause) = error.as_ref()
    {
        tracing::error!(error.message = %cause, error.cause_chain = ?cause, "request failed");
    }
    if let Some(refused) = response.extensions().get::<super::Refused>() {
        refused.record();
    }
    response
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("not found"),
            StoreError::Conflict(_) | StoreError::Refused(_) => Self::conflict(e.to_string()),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// The status a prompt library error is answered with.
pub fn library_status(e: &LibraryError) -> StatusCode {
    use crate::audio::AudioError;
    match e {
        LibraryError::UnknownLanguage(_) | LibraryError::UnknownPrompt(_) | LibraryError::NoSuchVersion(_) => {
            StatusCode::NOT_FOUND
        }
        LibraryError::Rejected(AudioError::Encode(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        LibraryError::Rejected(AudioError::Cancelled) => StatusCode::REQUEST_TIMEOUT,
        LibraryError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        LibraryError::NoEarlierVersion | LibraryError::NothingActive => StatusCode::CONFLICT,
        LibraryError::Conversion(_) | LibraryError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<LibraryError> for AppError {
    fn from(e: LibraryError) -> Self {
        match library_status(&e) {
            StatusCode::INTERNAL_SERVER_ERROR => Self::Internal(Box::new(e)),
            status => Self::Status { status, message: e.to_string().into() },
        }
    }
}

/// A JSON body, refused as an [`AppError`] (so the API answers its
/// `{"error": ...}` with axum's status and words).
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// axum's rejections keep their status and words.
macro_rules! from_rejection {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for AppError {
            fn from(r: $rejection) -> Self {
                Self::status(r.status(), r.body_text())
            }
        }
    )*};
}

from_rejection!(JsonRejection, RawFormRejection, BytesRejection, MultipartRejection, MultipartError);

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, http::Request, middleware::map_response, routing::get};
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = router.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        (parts.status, parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    fn failing(error: fn() -> AppError) -> Router {
        let route = move || async move { Err::<(), _>(error()) };
        let api = Router::new().route("/api", get(route)).layer(map_response(as_json));
        Router::new().route("/page", get(route)).merge(api).layer(map_response(log_errors))
    }

    #[tokio::test]
    async fn pages_get_text_and_the_api_gets_json_with_the_same_status() {
        let router = failing(|| AppError::unprocessable("take the case first"));
        let (status, headers, body) = answer(router.clone(), "/page").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
        assert_eq!(body, "take the case first");
        let (status, headers, body) = answer(router, "/api").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body, r#"{"error":"take the case first"}"#);
    }

    #[tokio::test]
    async fn an_internal_cause_is_never_sent() {
        let router = failing(|| AppError::Internal("disk I/O error at /var/lib/sampark/sampark.db".into()));
        for path in ["/page", "/api"] {
            let (status, _, body) = answer(router.clone(), path).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(body.contains("something went wrong") && !body.contains("disk"), "{path}: {body}");
        }
    }

    #[tokio::test]
    async fn waiting_errors_say_how_long_in_both_forms() {
        let router = failing(|| AppError::TooManyRequests {
            message: "too many failed sign-ins".into(),
            retry_after: Duration::from_millis(200),
        });
        for path in ["/page", "/api"] {
            let (status, headers, _) = answer(router.clone(), path).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(headers[header::RETRY_AFTER], "1", "{path}: at least a second");
        }
    }

    #[tokio::test]
    async fn not_signed_in_is_a_redirect_on_pages_and_401_on_the_api() {
        let router = failing(|| AppError::SignIn);
        let (status, headers, _) = answer(router.clone(), "/page").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/login");
        let (status, headers, body) = answer(router, "/api").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(!headers.contains_key(header::LOCATION));
        assert_eq!(body, r#"{"error":"sign in first"}"#);
    }

    #[tokio::test]
    async fn a_password_to_change_is_a_redirect_to_its_page_on_pages_and_403_on_the_api() {
        let router = failing(|| AppError::PasswordChange);
        let (status, headers, _) = answer(router.clone(), "/page").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], PASSWORD_PAGE);
        let (status, headers, body) = answer(router, "/api").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!headers.contains_key(header::LOCATION));
        assert_eq!(body, r#"{"error":"choose a new password first, at /account/password"}"#);
    }

    #[test]
    fn store_and_library_errors_map_to_their_statuses() {
        assert_eq!(AppError::from(StoreError::Conflict("user ravi".into())).status_code(), StatusCode::CONFLICT);
        assert_eq!(AppError::from(StoreError::Corrupt("x".into())).status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(AppError::from(LibraryError::NothingActive).status_code(), StatusCode::CONFLICT);
        assert_eq!(AppError::from(LibraryError::NoSuchVersion(3)).status_code(), StatusCode::NOT_FOUND);
        let internal = AppError::from(LibraryError::Conversion("ffmpeg exploded".into()));
        assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.message().contains("ffmpeg"));
    }
}
