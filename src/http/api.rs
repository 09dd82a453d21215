//! The JSON API for scripts and a future app: the same operations, auth and
//! scopes as the web pages. Sign in with `POST /api/v1/login`; send the
//! token as `Authorization: Bearer …` (or use the cookie and send the CSRF
//! token as `X-CSRF-Token` on POSTs).

use std::{collections::BTreeMap, net::SocketAddr};

use axum::{
    Json, Router,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode, header},
    middleware::map_response,
    response::{AppendHeaders, IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    AppState,
    access::{Caseworker, Coordinator, Csrf},
    error::{AppError, AppJson, as_json},
    session::{Attempt, BUSY_RETRY_AFTER, SameOrigin, SignInError, device_cookie, session_cookie, sign_in},
};
use crate::{
    cases::answers,
    directory::Directory,
    domain::PhoneNumber,
    queue::{AnswerView, CaseHistory, ClaimCheck, OpenedCase, OutcomeForm, OutcomeKind},
    units::{HandOver, Handover},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/queue", get(queue))
        .route("/api/v1/queue/claim", post(claim))
        .route("/api/v1/cases/{id}", get(case))
        .route("/api/v1/cases/{id}/outcome", post(outcome))
        .route("/api/v1/cases/{id}/release", post(release))
        .route("/api/v1/cases/{id}/hand-over", post(hand_over))
        .layer(map_response(as_json))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    State(app): State<AppState>,
    _: SameOrigin,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    AppJson(credentials): AppJson<Credentials>,
) -> Result<Response, AppError> {
    let attempt = Attempt::new(&app, &peer, &headers, &credentials.username, &credentials.password);
    let session = sign_in(&app, attempt).await.map_err(refusal)?;
    let body = json!({
        "token": session.token,
        "csrf_token": session.csrf,
        "user": session.user,
    });
    let cookies = [
        (header::SET_COOKIE, session_cookie(&app, Some(&session.token))),
        (header::SET_COOKIE, device_cookie(&app, &session.device)),
    ];
    Ok((AppendHeaders(cookies), Json(body)).into_response())
}

/// Why the API refuses a sign-in.
fn refusal(e: SignInError) -> AppError {
    match e {
        SignInError::Invalid => AppError::Unauthorized("wrong username or password".into()),
        SignInError::Throttled(wait) => AppError::TooManyRequests {
            message: "too many failed sign-ins; wait and try again".into(),
            retry_after: wait,
        },
        SignInError::Busy => AppError::Unavailable {
            message: "the server is busy checking other sign-ins; try again in a few seconds".into(),
            retry_after: BUSY_RETRY_AFTER,
        },
        SignInError::Store(e) => e.into(),
    }
}

async fn queue(State(app): State<AppState>, Caseworker(who): Caseworker) -> Result<Json<serde_json::Value>, AppError> {
    let counts = app.desk.counts(&who.user).await?;
    let waiting: i64 = counts.iter().map(|c| c.waiting).sum();
    Ok(Json(json!({ "waiting": waiting, "by_language_and_state": counts })))
}

/// A case as the API returns it. The numbers are there only for the
/// holder; the callback number, when there is one, is the one to dial first.
#[derive(Serialize)]
struct CaseJson {
    #[serde(flatten)]
    case: serde_json::Value,
    phone_masked: Option<String>,
    callback_phone_masked: Option<String>,
    /// Answers earlier calls gave that the case no longer shows, by
    /// question (`home_district_code`, …), each with its call.
    earlier: BTreeMap<&'static str, Vec<AnswerView>>,
    held: bool,
    home_state_name: Option<String>,
    home_district_name: Option<String>,
    recording: Option<String>,
    /// The outcomes that fit the case (none that needs a call without the
    /// caller's number).
    outcomes: Vec<&'static str>,
    history: CaseHistory,
    /// Its hand-overs from unit to unit, oldest first.
    handovers: Vec<Handover>,
}

fn case_json(opened: OpenedCase, handovers: Vec<Handover>) -> CaseJson {
    let directory = Directory::bundled();
    let masked = opened.case.phone.as_deref().and_then(PhoneNumber::parse).map(|p| p.masked());
    let callback_masked = opened.case.callback_phone.as_deref().and_then(PhoneNumber::parse).map(|p| p.masked());
    let earlier = answers::FIELDS
        .iter()
        .map(|field| (*field, opened.history.earlier(field).into_iter().cloned().collect::<Vec<_>>()))
        .filter(|(_, earlier)| !earlier.is_empty())
        .collect();
    let state = opened.case.home_state_code.and_then(|c| directory.state(c));
    let district = opened.case.home_district_code.and_then(|c| directory.district(c));
    let recording = opened.case.recording_url.as_ref().map(|_| format!("/cases/{}/recording", opened.case.id));
    let outcomes = OutcomeKind::fitting(opened.case.has_number()).map(OutcomeKind::as_str).collect();
    let mut case = serde_json::to_value(&opened.case).expect("a case serialises");
    case["phone"] = json!(opened.phone);
    case["callback_phone"] = json!(opened.callback_phone);
    case.as_object_mut().expect("an object").remove("recording_url");
    CaseJson {
        case,
        phone_masked: masked,
        callback_phone_masked: callback_masked,
        earlier,
        held: opened.held,
        home_state_name: state.map(|s| s.name.clone()),
        home_district_name: district.map(|d| d.name.clone()),
        recording,
        outcomes,
        history: opened.history,
        handovers,
    }
}

async fn claim(State(app): State<AppState>, Csrf(Caseworker(who)): Csrf<Caseworker>) -> Result<Response, AppError> {
    let Some(id) = app.desk.take_next(&who.user).await? else { return Ok(StatusCode::NO_CONTENT.into_response()) };
    match app.desk.open(&who.user, id).await? {
        Some(opened) => Ok(Json(case_json(opened, app.units.handovers(id).await?)).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

async fn case(
    State(app): State<AppState>,
    Caseworker(who): Caseworker,
    Path(id): Path<i64>,
) -> Result<Json<CaseJson>, AppError> {
    let opened = app.desk.open(&who.user, id).await?.ok_or_else(no_such_case)?;
    Ok(Json(case_json(opened, app.units.handovers(id).await?)))
}

fn no_such_case() -> AppError {
    AppError::not_found("no such case")
}

fn claim_check(check: ClaimCheck) -> Result<(), AppError> {
    match check {
        ClaimCheck::Done => Ok(()),
        ClaimCheck::NotFound => Err(no_such_case()),
        ClaimCheck::NotHeld => Err(AppError::conflict("take the case first (your claim may have run out)")),
        ClaimCheck::NeedsNumber => {
            let fitting: Vec<_> = OutcomeKind::fitting(false).map(OutcomeKind::as_str).collect();
            Err(AppError::unprocessable(format!(
                "the caller withheld their number: this outcome needs a call (record one of {})",
                fitting.join(", ")
            )))
        }
    }
}

async fn outcome(
    State(app): State<AppState>,
    Csrf(Caseworker(who)): Csrf<Caseworker>,
    Path(id): Path<i64>,
    AppJson(form): AppJson<OutcomeForm>,
) -> Result<Json<serde_json::Value>, AppError> {
    let report = form.into_report(app.desk.now()).map_err(AppError::unprocessable)?;
    claim_check(app.desk.record_outcome(&who.user, id, &report).await?)?;
    Ok(Json(json!({ "recorded": report.outcome.kind() })))
}

async fn release(
    State(app): State<AppState>,
    Csrf(Caseworker(who)): Csrf<Caseworker>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    claim_check(app.desk.release(&who.user, id).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hands a case to another unit with a note (a coordinator or an admin):
/// `{"unit": "bihar", "note": "…"}`; 409 with the reason when refused.
async fn hand_over(
    State(app): State<AppState>,
    Csrf(Coordinator(who)): Csrf<Coordinator>,
    Path(id): Path<i64>,
    AppJson(form): AppJson<super::ui::HandForm>,
) -> Result<Json<serde_json::Value>, AppError> {
    match app.units.hand_over(&who.user, id, &form.unit, &form.note, app.desk.now()).await? {
        HandOver::Done { from, to } => Ok(Json(json!({ "from_unit_id": from, "to_unit_id": to }))),
        HandOver::NotFound => Err(no_such_case()),
    }
}
