//! A case's page. On a phone's first screen: the number the caller asked to
//! be called back on (if any) above their own, with "Call now" (or `tel:`
//! links) and the outcome form; below it what the caller keyed (with what
//! earlier calls gave differently), the voice message and the history.
//!
//! The form offers only the outcomes that fit the case (no "no answer"
//! without a number: [`crate::queue::fits`]). A PIN code is looked up in
//! place by `desk.js` through `/api/v1/pins/{pin}`; without a script the
//! look-up button posts the whole form to `/cases/{id}/pin`, which shows the
//! page again with everything typed kept. A refused outcome is shown the
//! same way, so nothing typed is lost.

use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    csrf_field, district_name, language_label, masked, need_label,
    numbers::{self, earlier},
    page, state_name,
    voice::{self, Recording, Voice},
    when,
};
use crate::{
    directory::{Directory, PinCode, look_up_pin},
    http::{
        AppState,
        access::{Caseworker, CsrfForm},
        error::AppError,
        session::SignedIn,
    },
    queue::{CaseHistory, CaseView, OpenedCase, OutcomeForm, OutcomeKind},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/pin", post(pin_look_up))
        .route("/desk.js", get(script))
}

/// The case page's script: the PIN look-up in place, the voice message's
/// failure shown. The page works without it.
const SCRIPT: &str = include_str!("desk.js");

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    pin: Option<String>,
    error: Option<String>,
}

/// What the page shows besides the case: the form as typed, a refusal, a
/// PIN code looked up.
#[derive(Debug, Default)]
pub(super) struct Screen {
    /// The outcome form's fields; `None`: as the case has them.
    pub draft: Option<OutcomeForm>,
    /// A PIN code to look up in place of the form's (`?pin=`).
    pub pin: Option<String>,
    pub error: Option<String>,
    /// A PIN code was looked up: the worker's details are open, with the
    /// look-up's answer.
    pub looked_up: bool,
}

async fn case_page(
    State(app): State<AppState>,
    Caseworker(who): Caseworker,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, AppError> {
    let looked_up = q.pin.is_some();
    render(&app, &who, id, Screen { draft: None, pin: q.pin, error: q.error, looked_up }, StatusCode::OK).await
}

/// The look-up without a script: the page again, with the form as typed.
async fn pin_look_up(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Caseworker(who), form): CsrfForm<Caseworker, OutcomeForm>,
) -> Result<Response, AppError> {
    let screen = Screen { draft: Some(form), looked_up: true, ..Screen::default() };
    render(&app, &who, id, screen, StatusCode::OK).await
}

/// The case page as `who` may see it (404 when the case does not exist for
/// them), with `screen`, answered with `status`.
pub(super) async fn render(
    app: &AppState,
    who: &SignedIn,
    id: i64,
    screen: Screen,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(opened) = app.desk.open(&who.user, id).await? else {
        let body = html! { h1 { "केस नहीं मिला · No such case" } };
        return Ok((StatusCode::NOT_FOUND, page("Not found", Some(who), body)).into_response());
    };
    let voice = [
        (Recording::Place, voice::voice_of(app, &opened.case, Recording::Place).await?),
        (Recording::Message, voice::voice_of(app, &opened.case, Recording::Message).await?),
    ];
    let handovers = super::handover::section(who, id, &app.units.handovers(id).await?, &app.units.units().await?);
    let person = super::people::of_case(&app.people.person_of_case(id).await?);
    let body = html! { (case_body(who, &opened, &screen, app.bridge.is_some(), &voice)) (person) (handovers) };
    Ok((status, page(&format!("Case {id}"), Some(who), body)).into_response())
}

fn case_body(
    who: &SignedIn,
    opened: &OpenedCase,
    screen: &Screen,
    can_bridge: bool,
    voice: &[(Recording, Voice)],
) -> Markup {
    let case = &opened.case;
    html! {
        @if let Some(error) = &screen.error { p.error role="alert" id="page-error" { (error) } }
        section.card id="call" {
            h1 { "केस · Case #" (case.id)
                @if case.need.as_deref() == Some("medical") { " " span.medical.badge { (need_label(Some("medical"))) } } }
            (numbers::phone_lines(opened))
            @if opened.held {
                (call_actions(who, opened, can_bridge))
            } @else if let Some(name) = &case.claimed_by_name {
                p.muted { "यह केस " (name) " के पास है · This case is held by " (name) }
            }
        }
        @if opened.held {
            (outcome_form(who, case, screen))
            (release_form(who, case))
        }
        (case_details(case, &opened.history, voice))
        (history(opened))
        script src="/desk.js" defer {}
    }
}

/// "Call now" through the gateway (the callback number first, the
/// caller's own a second button), or the numbers to dial; nothing for a
/// withheld number.
fn call_actions(who: &SignedIn, opened: &OpenedCase, can_bridge: bool) -> Markup {
    let case = &opened.case;
    let both = case.callback_phone.is_some() && case.phone.is_some();
    html! {
        @if case.has_number() && can_bridge {
            form.actions method="post" action={ "/cases/" (case.id) "/call" } {
                (csrf_field(who))
                button type="submit" id="call-now" { "अभी कॉल करें · Call now" }
                @if both {
                    button.secondary type="submit" name="own" value="1" id="call-own" { "कॉलर के अपने नंबर पर · Call their own number" }
                }
            }
        } @else if let Some(phone) = opened.callback_phone.as_ref().or(opened.phone.as_ref()) {
            div.actions {
                a.button id="dial" href={ "tel:" (phone) } { "डायल करें · Dial" }
                @if let (true, Some(own)) = (both, &opened.phone) {
                    a.button.secondary id="dial-own" href={ "tel:" (own) } { "अपना नंबर · Their own number" }
                }
            }
        }
    }
}

/// Giving the case back, below the form: not a first-screen action.
fn release_form(who: &SignedIn, case: &CaseView) -> Markup {
    html! {
        form.card.actions method="post" action={ "/cases/" (case.id) "/release" } {
            (csrf_field(who))
            span.muted { "कोई और कॉल करे? · Let someone else call?" }
            button.secondary type="submit" id="release" { "वापस कतार में · Release" }
        }
    }
}

/// How the page names an outcome.
fn outcome_label(kind: OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Resolved => "मदद हो गई · Resolved",
        OutcomeKind::FollowUp => "आगे भेजा · Follow-up",
        OutcomeKind::NoAnswer => "जवाब नहीं · No answer",
        OutcomeKind::WrongNumber => "गलत नंबर · Wrong number",
        OutcomeKind::CallBack => "बाद में कॉल · Call back later",
        OutcomeKind::CannotCallBack => "कॉल नहीं हो सकती · Cannot call back",
    }
}

/// The form's fields: as typed, or as the case has them; the PIN code
/// asked for, if any.
fn draft_of(case: &CaseView, screen: &Screen) -> OutcomeForm {
    let mut draft = screen.draft.clone().unwrap_or_else(|| OutcomeForm {
        referred_to: case.referred_to.clone(),
        details: case.notes.clone(),
        ..OutcomeForm::default()
    });
    if let Some(pin) = &screen.pin {
        draft.details.pin_code = Some(pin.clone());
    }
    draft
}

fn outcome_form(who: &SignedIn, case: &CaseView, screen: &Screen) -> Markup {
    let draft = draft_of(case, screen);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        form.card method="post" action={ "/cases/" (case.id) "/outcome" } id="outcome-form" {
            (csrf_field(who))
            fieldset.outcomes {
                legend { "नतीजा · Outcome" }
                @for kind in OutcomeKind::fitting(case.has_number()) {
                    label {
                        input type="radio" name="outcome" value=(kind) id={ "outcome-" (kind.as_str().replace('_', "-")) }
                            required checked[draft.outcome == kind.as_str()];
                        (outcome_label(kind))
                    }
                }
            }
            div.if-follow-up {
                label for="referred_to" { "किसे भेजा (ज़िला अधिकारी, राज्य सेल…) · Referred to" }
                input id="referred_to" name="referred_to" value=(text(&draft.referred_to));
            }
            @if case.has_number() {
                div.if-call-back {
                    label for="callback_at" { "कब कॉल करें · Call back at (IST)" }
                    input id="callback_at" name="callback_at" type="datetime-local" value=(text(&draft.callback_at));
                }
            }
            label for="notes" { "नोट · Notes" }
            textarea id="notes" name="notes" rows="2" { (text(&draft.notes)) }
            (worker_details(case, &draft, screen.looked_up))
            button type="submit" id="save-outcome" { "सहेजें · Save" }
        }
    }
}

/// The seed questionnaire, folded away until opened (or a PIN code was
/// just looked up), so the first screen keeps the outcome and "Save".
fn worker_details(case: &CaseView, draft: &OutcomeForm, looked_up: bool) -> Markup {
    let notes = &draft.details;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let pin = text(&notes.pin_code);
    let found = (!pin.trim().is_empty()).then(|| look_up_pin(&pin));
    let offices = found.as_ref().and_then(|f| f.as_ref().ok()).map(|p| p.offices.clone()).unwrap_or_default();
    html! {
        details id="about-worker" open[looked_up] {
            summary { "कॉलर की जानकारी · About the worker (name, village, PIN…)" }
            label for="worker_name" { "नाम · Name" }
            input id="worker_name" name="worker_name" value=(text(&notes.worker_name));
            label for="village" { "गाँव · Village" }
            input id="village" name="village" value=(text(&notes.village));
            label for="ward" { "वार्ड · Ward" }
            input id="ward" name="ward" value=(text(&notes.ward));
            label for="pin_code" { "पिन कोड · PIN code" }
            div.inline {
                input id="pin_code" name="pin_code" inputmode="numeric" maxlength="6" autocomplete="off" value=(pin);
                button.secondary type="submit" id="pin-look-up" formaction={ "/cases/" (case.id) "/pin" } formnovalidate {
                    "खोजें · Look up"
                }
            }
            @match found.filter(|_| looked_up) {
                Some(Ok(found)) => { p.notice id="pin-result" role="status" { (pin_summary(found)) } }
                Some(Err(e)) => { p.error id="pin-result" role="status" { (e) } }
                None => { p id="pin-result" role="status" hidden {} }
            }
            label for="post_office" { "डाकघर · Post office" }
            @if offices.is_empty() {
                input id="post_office" name="post_office" value=(text(&notes.post_office));
            } @else {
                select id="post_office" name="post_office" {
                    @for office in &offices {
                        option selected[notes.post_office.as_deref() == Some(*office)] { (office) }
                    }
                }
            }
            label for="current_location" { "अभी कहाँ फँसे हैं · Where stranded now" }
            input id="current_location" name="current_location" value=(text(&notes.current_location));
        }
    }
}

/// "District …, state …" of a PIN code, as the look-up shows it.
fn pin_summary(pin: &PinCode) -> String {
    let directory = Directory::bundled();
    let district = pin.district.and_then(|d| directory.district(d)).map(|d| d.name.as_str());
    let state = pin.state.and_then(|s| directory.state(s)).map(|s| s.name.as_str());
    format!(
        "ज़िला · District: {} · राज्य · State: {} · {} डाकघर · post offices",
        district.unwrap_or("—"),
        state.unwrap_or("—"),
        pin.offices.len()
    )
}

fn case_details(case: &CaseView, history: &CaseHistory, voice: &[(Recording, Voice)]) -> Markup {
    html! {
        section.card id="case-details" {
            h2 { "कॉलर के जवाब · What the caller keyed" }
            dl.facts {
                dt { "भाषा · Language" } dd { (language_label(case.language.as_deref())) }
                dt { "राज्य · Home state" } dd id="home-state" { (state_name(case.home_state_code)) (earlier(history, "home_state_code")) }
                dt { "ज़िला · Home district" } dd id="home-district" { (district_name(case.home_district_code)) (earlier(history, "home_district_code")) }
                dt { "ज़रूरत · Need" } dd class=[(case.need.as_deref() == Some("medical")).then_some("medical")] { (need_label(case.need.as_deref())) (earlier(history, "need")) }
                @if case.callback_phone.is_some() || !history.earlier("callback_phone").is_empty() {
                    dt { "वापस कॉल का नंबर · Callback number" } dd id="callback-number" { (masked(case.callback_phone.as_deref())) (earlier(history, "callback_phone")) }
                }
                dt { "कॉल · Calls" } dd { (case.calls) " · पहली · first " (when(&case.first_call_at)) " · आख़िरी · last " (when(&case.last_call_at)) }
                dt { "स्थिति · Status" } dd { (case.status) }
            }
            @if case.consent == Some(false) { p.error { "कॉलर ने जानकारी रखने की सहमति नहीं दी · The caller did not consent to their answers being kept." } }
            @for (which, voice) in voice { (voice::section(case.id, voice, *which)) }
        }
    }
}

fn history(opened: &OpenedCase) -> Markup {
    html! {
        h2 { "इतिहास · History" }
        div.scroll {
            table id="history" {
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
}
