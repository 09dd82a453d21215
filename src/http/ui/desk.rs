//! The volunteer's pages: the queue, "take next", a case, its outcome.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, district_name, language_label, masked, need_label, page, state_name, when};
use crate::{
    directory::pin_code,
    http::{AppState, access::CsrfForm, error::AppError, session::SignedIn},
    queue::{ClaimCheck, OpenedCase, OutcomeForm, Scope},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(queue_page))
        .route("/queue/claim", post(take_next))
        .route("/cases/{id}", get(case_page))
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
        "expired" => "आपका दावा समाप्त हो गया · Your claim had run out: take the case again",
        _ => return None,
    })
}

async fn queue_page(
    State(app): State<AppState>,
    who: SignedIn,
    Query(flash): Query<Flash>,
) -> Result<Markup, AppError> {
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
    Ok(page("Queue", Some(&who), body))
}

async fn take_next(State(app): State<AppState>, CsrfForm(who, _): CsrfForm<SignedIn>) -> Result<Redirect, AppError> {
    Ok(match app.desk.take_next(&who.user).await? {
        Some(id) => Redirect::to(&format!("/cases/{id}")),
        None => Redirect::to("/?m=none"),
    })
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    pin: Option<String>,
    error: Option<String>,
}

async fn case_page(
    State(app): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, AppError> {
    Ok(match app.desk.open(&who.user, id).await? {
        Some(opened) => {
            page(&format!("Case {id}"), Some(&who), case_body(&who, &opened, &q, app.bridge.is_some())).into_response()
        }
        None => (StatusCode::NOT_FOUND, page("Not found", Some(&who), html! { h1 { "केस नहीं मिला · No such case" } }))
            .into_response(),
    })
}

fn case_body(who: &SignedIn, opened: &OpenedCase, q: &CaseQuery, can_bridge: bool) -> Markup {
    let case = &opened.case;
    html! {
        @if let Some(error) = &q.error { p.error { (error) } }
        h1 { "केस · Case #" (case.id) }
        div.card {
            p { "फ़ोन · Phone: " strong id="phone" {
                @match &opened.phone {
                    Some(phone) => { a href={ "tel:" (phone) } { (phone) } }
                    None => { (masked(case.phone.as_deref())) }
                }
            } }
            p { "भाषा · Language: " (language_label(case.language.as_deref())) }
            p { "राज्य · Home state: " (state_name(case.home_state_code)) }
            p { "ज़िला · Home district: " (district_name(case.home_district_code)) }
            p { "ज़रूरत · Need: " span class=[(case.need.as_deref() == Some("medical")).then_some("medical")] { (need_label(case.need.as_deref())) } }
            p.muted { "कॉल · Calls: " (case.calls) " · पहली · first " (when(&case.first_call_at)) " · आख़िरी · last " (when(&case.last_call_at)) }
            p.muted { "स्थिति · Status: " (case.status) }
            @if case.consent == Some(false) { p.error { "कॉलर ने जानकारी रखने की सहमति नहीं दी · The caller did not consent to their answers being kept." } }
            @if case.recording_url.is_some() {
                h2 { "आवाज़ संदेश · Voice message" }
                audio id="voice-message" controls preload="none" src={ "/cases/" (case.id) "/recording" } {}
            }
        }
        @if opened.held {
            (held_forms(who, opened, q, can_bridge))
        } @else if let Some(name) = &case.claimed_by_name {
            p.muted { "यह केस " (name) " के पास है · This case is held by " (name) }
        }
        (history(opened))
    }
}

fn held_forms(who: &SignedIn, opened: &OpenedCase, q: &CaseQuery, can_bridge: bool) -> Markup {
    let case = &opened.case;
    let notes = &case.notes;
    let pin = q.pin.clone().or_else(|| notes.pin_code.clone()).unwrap_or_default();
    let offices = pin_code(&pin).map(|p| p.offices.clone()).unwrap_or_default();
    html! {
        div.card {
            @if can_bridge {
                form method="post" action={ "/cases/" (case.id) "/call" } style="display:inline" {
                    (csrf_field(who))
                    button type="submit" id="call-now" { "अभी कॉल करें · Call now" }
                }
            } @else if let Some(phone) = &opened.phone {
                a.button id="dial" href={ "tel:" (phone) } { "डायल करें · Dial" }
            }
            " "
            form method="post" action={ "/cases/" (case.id) "/release" } style="display:inline" {
                (csrf_field(who))
                button.secondary type="submit" id="release" { "वापस कतार में · Release" }
            }
        }
        form.card method="get" action={ "/cases/" (case.id) } {
            label for="pin-lookup" { "पिन कोड से डाकघर · Post offices by PIN code" }
            input id="pin-lookup" name="pin" inputmode="numeric" pattern="[0-9]{6}" value=(pin);
            button.secondary type="submit" { "खोजें · Look up" }
        }
        form.card method="post" action={ "/cases/" (case.id) "/outcome" } id="outcome-form" {
            (csrf_field(who))
            h2 { "नतीजा · Outcome" }
            fieldset {
                label { input type="radio" name="outcome" value="resolved" required; "मदद हो गई · Resolved" }
                label { input type="radio" name="outcome" value="follow_up"; "आगे भेजा · Needs follow-up" }
                label { input type="radio" name="outcome" value="no_answer" id="outcome-no-answer"; "जवाब नहीं · No answer" }
                label { input type="radio" name="outcome" value="wrong_number"; "गलत नंबर · Wrong number" }
                label { input type="radio" name="outcome" value="call_back"; "बाद में कॉल · Call back later" }
            }
            label for="referred_to" { "किसे भेजा (ज़िला अधिकारी, राज्य सेल…) · Referred to" }
            input id="referred_to" name="referred_to" value=[case.referred_to.as_deref()];
            label for="callback_at" { "कब कॉल करें · Call back at" }
            input id="callback_at" name="callback_at" type="datetime-local";
            label for="notes" { "नोट · Notes" }
            textarea id="notes" name="notes" rows="3" {}
            h2 { "कॉलर की जानकारी · About the worker" }
            label for="worker_name" { "नाम · Name" }
            input id="worker_name" name="worker_name" value=[notes.worker_name.as_deref()];
            label for="village" { "गाँव · Village" }
            input id="village" name="village" value=[notes.village.as_deref()];
            label for="ward" { "वार्ड · Ward" }
            input id="ward" name="ward" value=[notes.ward.as_deref()];
            label for="pin_code" { "पिन कोड · PIN code" }
            input id="pin_code" name="pin_code" inputmode="numeric" value=(pin);
            label for="post_office" { "डाकघर · Post office" }
            @if offices.is_empty() {
                input id="post_office" name="post_office" value=[notes.post_office.as_deref()];
            } @else {
                select id="post_office" name="post_office" {
                    @for office in &offices {
                        option selected[notes.post_office.as_deref() == Some(*office)] { (office) }
                    }
                }
            }
            label for="current_location" { "अभी कहाँ फँसे हैं · Where stranded now" }
            input id="current_location" name="current_location" value=[notes.current_location.as_deref()];
            p { button type="submit" id="save-outcome" { "सहेजें · Save" } }
        }
    }
}

fn history(opened: &OpenedCase) -> Markup {
    html! {
        h2 { "इतिहास · History" }
        table {
            tr { th { "कब · When" } th { "क्या · What" } }
            @for call in &opened.history.calls {
                tr { td { (when(&call.started_at)) } td { "कॉल आई (" (call.provider) ") · call in, ended at " (call.last_node) } }
            }
            @for attempt in &opened.history.attempts {
                tr {
                    td { (when(&attempt.started_at)) }
                    td {
                        (attempt.username) ": " (attempt.outcome.as_deref().unwrap_or("calling…"))
                        @if let Some(status) = &attempt.call_status { " (" (status) ")" }
                        @if let Some(r) = &attempt.referred_to { " → " (r) }
                        @if let Some(n) = &attempt.notes { br; span.muted { (n) } }
                    }
                }
            }
        }
    }
}

async fn outcome(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(who, form): CsrfForm<SignedIn, OutcomeForm>,
) -> Result<Redirect, AppError> {
    let kind = form.outcome.clone();
    let report = match form.into_report(app.desk.now()) {
        Ok(report) => report,
        Err(message) => {
            let query = serde_urlencoded::to_string([("error", message)]).unwrap_or_default();
            return Ok(Redirect::to(&format!("/cases/{id}?{query}")));
        }
    };
    match app.desk.record_outcome(&who.user, id, &report).await? {
        ClaimCheck::Done => Ok(Redirect::to(&format!("/?m={kind}"))),
        ClaimCheck::NotHeld => Ok(Redirect::to("/?m=expired")),
        ClaimCheck::NotFound => Err(AppError::not_found("No such case")),
    }
}

async fn release(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(who, _): CsrfForm<SignedIn>,
) -> Result<Redirect, AppError> {
    match app.desk.release(&who.user, id).await? {
        ClaimCheck::Done => Ok(Redirect::to("/?m=released")),
        ClaimCheck::NotHeld => Ok(Redirect::to("/?m=expired")),
        ClaimCheck::NotFound => Err(AppError::not_found("No such case")),
    }
}
