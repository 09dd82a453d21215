//! The volunteer's pages: the queue, "take next", a case's outcome and its
//! release (the case page itself is [`super::case_page`]).

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::html;
use serde::Deserialize;

use super::{
    case_page::{Screen, render},
    csrf_field, language_label, masked, need_label, page, state_name, when,
};
use crate::{
    http::{
        AppState,
        access::{Caseworker, CsrfForm},
        error::AppError,
        session::SignedIn,
    },
    queue::{ClaimCheck, OutcomeForm, OutcomeKind, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(queue_page))
        .route("/queue/claim", post(take_next))
        .route("/cases/{id}/outcome", post(outcome))
        .route("/cases/{id}/release", post(release))
}

#[derive(Deserialize, Default)]
struct Flash {
    m: Option<String>,
}

fn flash_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "none" => "अभी कोई कॉलर इंतज़ार में नहीं है · Nobody is waiting right now",
        "released" => "केस वापस कतार में · The case is back in the queue",
        "resolved" => "दर्ज: मदद हो गई · Recorded: resolved",
        "follow_up" => "दर्ज: आगे भेजा · Recorded: needs follow-up",
        "no_answer" => "दर्ज: जवाब नहीं · Recorded: no answer (back in the queue later)",
        "wrong_number" => "दर्ज: गलत नंबर · Recorded: wrong number",
        "call_back" => "दर्ज: बाद में कॉल · Recorded: call back at the time asked",
        "cannot_call_back" => "दर्ज: वापस कॉल नहीं हो सकती · Recorded: cannot call back (closed)",
        "expired" => "आपका दावा समाप्त हो गया · Your claim had run out: take the case again",
        _ => return None,
    })
}

async fn queue_page(
    State(app): State<AppState>,
    who: SignedIn,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    // The central office has no queue: its home is the rollups.
    if !who.user.role.works_cases() {
        return Ok(Redirect::to("/central").into_response());
    }
    let scope = Scope::of(&who.user);
    let now = app.desk.now();
    let queue = app.desk.queue();
    let (counts, waiting, held) = match (
        queue.queue_counts(&scope, now).await,
        queue.waiting_cases(&scope, now, 20).await,
        queue.held_case(&scope, now).await,
    ) {
        (Ok(c), Ok(w), Ok(h)) => (c, w, h),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(e.into()),
    };
    let total: i64 = counts.iter().map(|c| c.waiting).sum();
    let body = html! {
        @if let Some(text) = flash.m.as_deref().and_then(flash_text) { p.flash { (text) } }
        h1 { "कतार · Queue" }
        p { strong { (total) } " कॉलर इंतज़ार में · callers waiting" }
        @if let Some(id) = held {
            p.card { "आपके पास एक केस है · You hold a case: " a href={ "/cases/" (id) } { "#" (id) } }
        }
        form method="post" action="/queue/claim" {
            (csrf_field(&who))
            button type="submit" id="take-next" { "अगला कॉलर लें · Take next" }
        }
        @if !counts.is_empty() {
            h2 { "भाषा और राज्य से · By language and state" }
            table {
                tr { th { "भाषा · Language" } th { "राज्य · State" } th { "इंतज़ार · Waiting" } }
                @for c in &counts {
                    tr { td { (language_label(c.language.as_deref())) } td { (state_name(c.home_state_code)) } td { (c.waiting) } }
                }
            }
        }
        h2 { "अगले कॉलर · Next in line" }
        @if waiting.is_empty() { p.muted { "कोई नहीं · Nobody" } }
        ul id="waiting" {
            @for case in &waiting {
                li data-case=(case.id) {
                    "#" (case.id) " · " (masked(case.phone.as_deref())) " · " (language_label(case.language.as_deref()))
                    " · " (state_name(case.home_state_code))
                    @if case.need.as_deref() == Some("medical") { " · " span.medical { (need_label(Some("medical"))) } }
                    br; span.muted { "पहली कॉल · first call " (when(&case.first_call_at)) }
                }
            }
        }
    };
    Ok(page("Queue", Some(&who), body).into_response())
}

async fn take_next(
    State(app): State<AppState>,
    CsrfForm(Caseworker(who), _): CsrfForm<Caseworker>,
) -> Result<Redirect, AppError> {
    Ok(match app.desk.take_next(&who.user).await? {
        Some(id) => Redirect::to(&format!("/cases/{id}")),
        None => Redirect::to("/?m=none"),
    })
}

/// Records the outcome; a refusal shows the case page again with the
/// reason and everything typed (422).
async fn outcome(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Caseworker(who), form): CsrfForm<Caseworker, OutcomeForm>,
) -> Result<Response, AppError> {
    let kind = form.outcome.clone();
    let refused =
        |form: OutcomeForm, error: String| Screen { draft: Some(form), error: Some(error), ..Screen::default() };
    let report = match form.clone().into_report(app.desk.now()) {
        Ok(report) => report,
        Err(message) => {
            let error = format!("सहेजा नहीं गया · Not saved: {message}.");
            return render(&app, &who, id, refused(form, error), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    Ok(match app.desk.record_outcome(&who.user, id, &report).await? {
        ClaimCheck::Done => Redirect::to(&format!("/?m={kind}")).into_response(),
        ClaimCheck::NotHeld => Redirect::to("/?m=expired").into_response(),
        ClaimCheck::NotFound => return Err(AppError::not_found("No such case")),
        ClaimCheck::NeedsNumber => {
            let fitting: Vec<_> = OutcomeKind::fitting(false).map(OutcomeKind::as_str).collect();
            let error = format!(
                "सहेजा नहीं गया: नंबर नहीं है · Not saved: the caller withheld their number, and “{kind}” needs a call. \
                 Record one of: {}.",
                fitting.join(", ")
            );
            return render(&app, &who, id, refused(form, error), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    })
}

async fn release(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Caseworker(who), _): CsrfForm<Caseworker>,
) -> Result<Redirect, AppError> {
    match app.desk.release(&who.user, id).await? {
        ClaimCheck::Done => Ok(Redirect::to("/?m=released")),
        ClaimCheck::NotHeld => Ok(Redirect::to("/?m=expired")),
        ClaimCheck::NotFound | ClaimCheck::NeedsNumber => Err(AppError::not_found("No such case")),
    }
}
