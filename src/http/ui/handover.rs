//! Hand-overs on the pages: the case page's "hand to unit" form and its
//! history of hand-overs, the form's route, and a coordinator's page of the
//! cases handed to their units and those they handed away.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, page, state_name, when};
use crate::{
    auth::Role,
    domain::StateCode,
    http::{
        AppState,
        access::{Coordinator, CsrfForm},
        error::AppError,
        session::SignedIn,
    },
    units::{HandOver, HandedCase, Handover, Unit},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/hand-over", post(hand_over)).route("/units/handed", get(handed_page))
}

/// The hand-over form's fields (the JSON API's too).
#[derive(Debug, Deserialize)]
pub struct HandForm {
    /// The receiving unit's short name.
    pub unit: String,
    pub note: String,
}

/// Hands the case over; back to the case page with the reason when refused,
/// else to the list of hand-overs (the case may have left the hander's
/// scope).
async fn hand_over(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Coordinator(who), form): CsrfForm<Coordinator, HandForm>,
) -> Result<Response, AppError> {
    let back = |why: &str| {
        let query = serde_urlencoded::to_string([("error", why)]).unwrap_or_default();
        Redirect::to(&format!("/cases/{id}?{query}")).into_response()
    };
    match app.units.hand_over(&who.user, id, &form.unit, &form.note, app.desk.now()).await {
        Ok(HandOver::Done { .. }) => Ok(Redirect::to("/units/handed").into_response()),
        Ok(HandOver::NotFound) => Err(AppError::not_found("no such case")),
        Err(crate::db::StoreError::Refused(why)) => Ok(back(&why)),
        Err(e) => Err(e.into()),
    }
}

/// The case page's part: its hand-overs, and for a coordinator or an admin
/// the form to hand it to another unit.
pub(super) fn section(who: &SignedIn, case_id: i64, handovers: &[Handover], units: &[Unit]) -> Markup {
    let may_hand = matches!(who.user.role, Role::Coordinator | Role::Admin) && !units.is_empty();
    html! {
        @if !handovers.is_empty() || may_hand {
            section.card id="handovers" {
                h2 { "हस्तांतरण · Hand-overs" }
                @if handovers.is_empty() { p.muted { "अभी कोई नहीं · None yet" } }
                ul {
                    @for h in handovers {
                        li {
                            (h.from_unit.as_deref().unwrap_or("—")) " → " strong { (h.to_unit) }
                            " · " (h.handed_by) " · " (when(&h.handed_at)) br;
                            span.note { (h.note) }
                        }
                    }
                }
                @if may_hand {
                    form method="post" action={ "/cases/" (case_id) "/hand-over" } {
                        (csrf_field(who))
                        label for="hand-unit" { "इकाई को सौंपें · Hand to unit" }
                        select id="hand-unit" name="unit" {
                            @for unit in units { option value=(unit.name) { (unit.title) " (" (unit.name) ")" } }
                        }
                        label for="hand-note" { "नोट · Note (what they should do)" }
                        textarea id="hand-note" name="note" maxlength="1000" required {}
                        button type="submit" { "सौंपें · Hand over" }
                    }
                }
            }
        }
    }
}

/// "Handed to my unit": the cases handed to the coordinator's units, and
/// those they handed away (every unit's, for an admin).
async fn handed_page(State(app): State<AppState>, Coordinator(who): Coordinator) -> Result<Markup, AppError> {
    let all = who.user.role == Role::Admin;
    let (to, from, mine) = match (
        app.units.handed(who.user.id, all, true, 100).await,
        app.units.handed(who.user.id, all, false, 100).await,
        app.units.units_of(who.user.id).await,
    ) {
        (Ok(t), Ok(f), Ok(m)) => (t, f, m),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(e.into()),
    };
    let names: Vec<&str> = mine.iter().map(|u| u.title.as_str()).collect();
    let body = html! {
        h1 { "मेरी इकाई को सौंपे गए · Handed to my unit" }
        p.muted { @if all { "सभी इकाइयाँ · every unit" } @else if names.is_empty() { "आप किसी इकाई में नहीं हैं · You are in no unit" } @else { (names.join(", ")) } }
        (table("handed-to", &to))
        h2 { "मेरी इकाई ने सौंपे · Handed away by my unit" }
        (table("handed-from", &from))
    };
    Ok(page("Handed to my unit", Some(&who), body))
}

fn table(id: &str, cases: &[HandedCase]) -> Markup {
    html! {
        @if cases.is_empty() { p.muted { "कोई नहीं · None" } } @else {
            table id=(id) {
                tr { th { "केस · Case" } th { "राज्य · State" } th { "से → को · From → to" } th { "कब · When" } th { "नोट · Note" } th { "स्थिति · Status" } }
                @for c in cases {
                    @let h = &c.handover;
                    tr {
                        td { a href={ "/cases/" (h.case_id) } { "#" (h.case_id) } }
                        td { (state_name(c.home_state_code.and_then(|s| u8::try_from(s).ok()).and_then(|s| StateCode::new(s).ok()))) }
                        td { (h.from_unit.as_deref().unwrap_or("—")) " → " (h.to_unit) }
                        td { (when(&h.handed_at)) " · " (h.handed_by) }
                        td { (h.note) }
                        td { (c.status) }
                    }
                }
            }
        }
    }
}
