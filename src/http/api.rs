//! The JSON API for scripts and a future app: the same operations, auth and
//! scopes as the web pages. Sign in with `POST /api/v1/login`; send the
//! token as `Authorization: Bearer …` (or use the cookie and send the CSRF
//! token as `X-CSRF-Token` on POSTs).

use std::net::SocketAddr;

use axum::{
    Json, Router,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{AppendHeaders, IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    AppState, internal,
    session::{
        ApiUser, Attempt, BUSY_RETRY_AFTER, SameOrigin, SignInError, SignedIn, device_cookie, session_cookie, sign_in,
    },
};
use crate::{
    directory::Directory,
    domain::PhoneNumber,
    queue::{CaseHistory, ClaimCheck, OpenedCase, OutcomeForm},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/queue/claim", post(claim))
        .route("/api/v1/cases/{id}", get(case))
        .route("/api/v1/cases/{id}/outcome", post(outcome))
        .route("/api/v1/cases/{id}/release", post(release))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn login(
    State(app): State<AppState>,
    _: SameOrigin,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Response {
    let attempt = Attempt::new(&app, &peer, &headers, &credentials.username, &credentials.password);
    match sign_in(&app, attempt).await {
        Ok(session) => {
            let body = json!({
                "token": session.token,
                "csrf_token": session.csrf,
                "user": session.user,
            });
            let cookies = [
                (header::SET_COOKIE, session_cookie(&app, Some(&session.token))),
                (header::SET_COOKIE, device_cookie(&app, &session.device)),
            ];
            (AppendHeaders(cookies), Json(body)).into_response()
        }
        Err(SignInError::Invalid) => error(StatusCode::UNAUTHORIZED, "wrong username or password"),
        Err(SignInError::Throttled(wait)) => {
            retry_later(StatusCode::TOO_MANY_REQUESTS, wait, "too many failed sign-ins; wait and try again")
        }
        Err(SignInError::Busy) => retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            BUSY_RETRY_AFTER,
            "the server is busy checking other sign-ins; try again in a few seconds",
        ),
        Err(SignInError::Store(e)) => internal(&e),
    }
}

/// An error with a `Retry-After` in whole seconds.
fn retry_later(status: StatusCode, wait: std::time::Duration, message: &str) -> Response {
    let mut response = error(status, message);
    response.headers_mut().insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
    response
}

fn csrf_rejected(who: &SignedIn, headers: &HeaderMap) -> Option<Response> {
    let given = headers.get("X-CSRF-Token").and_then(|v| v.to_str().ok());
    (!who.csrf_ok(given)).then(|| error(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token"))
}

async fn queue(State(app): State<AppState>, ApiUser(who): ApiUser) -> Response {
    match app.desk.counts(&who.user).await {
        Ok(counts) => {
            let waiting: i64 = counts.iter().map(|c| c.waiting).sum();
            Json(json!({ "waiting": waiting, "by_language_and_state": counts })).into_response()
        }
        Err(e) => internal(&e),
    }
}

/// A case as the API returns it. The number is there only for the holder.
#[derive(Serialize)]
struct CaseJson {
    #[serde(flatten)]
    case: serde_json::Value,
    phone_masked: Option<String>,
    held: bool,
    home_state_name: Option<String>,
    home_district_name: Option<String>,
    recording: Option<String>,
    history: CaseHistory,
}

fn case_json(opened: OpenedCase) -> CaseJson {
    let directory = Directory::bundled();
    let masked = opened.case.phone.as_deref().and_then(PhoneNumber::parse).map(|p| p.masked());
    let state = opened.case.home_state_code.and_then(|c| u8::try_from(c).ok()).and_then(|c| directory.state(c));
    let district =
        opened.case.home_district_code.and_then(|c| u16::try_from(c).ok()).and_then(|c| directory.district(c));
    let recording = opened.case.recording_url.as_ref().map(|_| format!("/cases/{}/recording", opened.case.id));
    let mut case = serde_json::to_value(&opened.case).expect("a case serialises");
    case["phone"] = json!(opened.phone);
    case.as_object_mut().expect("an object").remove("recording_url");
    CaseJson {
        case,
        phone_masked: masked,
        held: opened.held,
        home_state_name: state.map(|s| s.name.clone()),
        home_district_name: district.map(|d| d.name.clone()),
        recording,
        history: opened.history,
    }
}

async fn claim(State(app): State<AppState>, ApiUser(who): ApiUser, headers: HeaderMap) -> Response {
    if let Some(rejected) = csrf_rejected(&who, &headers) {
        return rejected;
    }
    match app.desk.take_next(&who.user).await {
        Ok(Some(id)) => match app.desk.open(&who.user, id).await {
            Ok(Some(opened)) => Json(case_json(opened)).into_response(),
            Ok(None) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => internal(&e),
        },
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(&e),
    }
}

async fn case(State(app): State<AppState>, ApiUser(who): ApiUser, Path(id): Path<i64>) -> Response {
    match app.desk.open(&who.user, id).await {
        Ok(Some(opened)) => Json(case_json(opened)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such case"),
        Err(e) => internal(&e),
    }
}

fn claim_check(check: ClaimCheck, done: Response) -> Response {
    match check {
        ClaimCheck::Done => done,
        ClaimCheck::NotFound => error(StatusCode::NOT_FOUND, "no such case"),
        ClaimCheck::NotHeld => error(StatusCode::CONFLICT, "take the case first (your claim may have run out)"),
    }
}

async fn outcome(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(form): Json<OutcomeForm>,
) -> Response {
    if let Some(rejected) = csrf_rejected(&who, &headers) {
        return rejected;
    }
    let report = match form.into_report(app.desk.now()) {
        Ok(report) => report,
        Err(message) => return error(StatusCode::UNPROCESSABLE_ENTITY, &message),
    };
    match app.desk.record_outcome(&who.user, id, &report).await {
        Ok(check) => claim_check(check, Json(json!({ "recorded": report.outcome.kind() })).into_response()),
        Err(e) => internal(&e),
    }
}

async fn release(
    State(app): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    if let Some(rejected) = csrf_rejected(&who, &headers) {
        return rejected;
    }
    match app.desk.release(&who.user, id).await {
        Ok(check) => claim_check(check, StatusCode::NO_CONTENT.into_response()),
        Err(e) => internal(&e),
    }
}
