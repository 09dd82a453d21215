//! Admin pages: users (add, edit, set a one-time password, disable,
//! enable), the state units with their states and members (made with
//! `sampark units`), and the audit log.

mod users;
mod users_page;

use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use maud::{Markup, html};

use super::{page, state_name, when};
use crate::http::{AppState, access::Admin, error::AppError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users::list).post(users::add))
        .route("/admin/users/{name}/edit", post(users::edit))
        .route("/admin/users/{name}/password", post(users::reset_password))
        .route("/admin/users/{name}/disable", post(users::disable))
        .route("/admin/users/{name}/enable", post(users::enable))
        .route("/admin/units", get(units))
        .route("/admin/audit", get(audit))
}

/// The units, their states (by name) and members.
async fn units(State(app): State<AppState>, Admin(who): Admin) -> Result<Markup, AppError> {
    let units = app.units.units().await?;
    let body = html! {
        h1 { "इकाइयाँ · Units" }
        p.muted { "इकाइयाँ और सदस्य कमांड से · Units and their members are set with " code { "sampark units" } "." }
        @if units.is_empty() { p.muted { "अभी कोई इकाई नहीं · No unit yet" } }
        table id="units" {
            tr { th { "इकाई · Unit" } th { "राज्य · States" } th { "सदस्य · Members" } }
            @for unit in &units {
                tr {
                    td { strong { (unit.title) } " (" (unit.name) ")" }
                    td { (unit.states.iter().map(|s| state_name(Some(*s))).collect::<Vec<_>>().join(", ")) }
                    td { (unit.members.join(", ")) }
                }
            }
        }
    };
    Ok(page("Units", Some(&who), body))
}

async fn audit(State(app): State<AppState>, Admin(who): Admin) -> Result<Markup, AppError> {
    let entries = app.desk.audit_log().latest(500).await?;
    let body = html! {
        h1 { "ऑडिट लॉग · Audit log" }
        p.muted { "किसने किस कॉलर का नंबर देखा, रिकॉर्डिंग सुनी, डेटा निकाला, या उपयोगकर्ता बदले · Who saw which caller's number, played which recording, exported what, changed which user." }
        div.scroll {
            table {
                tr { th { "कब · When" } th { "कौन · Who" } th { "क्या · What" } th { "केस · Case" } th { "विवरण · Details" } }
                @for e in &entries {
                    tr {
                        td { (when(&e.at)) }
                        td { (e.username.as_deref().unwrap_or("-")) }
                        td { (e.action) }
                        td { @if let Some(id) = e.case_id { "#" (id) } }
                        td { (e.details.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(page("Audit log", Some(&who), body))
}
