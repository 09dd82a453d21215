//! The central office's pages: people and cases across every unit by home
//! state and district, need, status, source and India week, as tables and
//! plots (`/central`), and the same counts coded by LGD as CSV and JSON
//! (`/central/rollup.csv`, `/central/rollup.json`) for partners. Counts
//! only: no name, number or village (see [`crate::units::rollup`]). Every
//! export is audited.

use std::collections::BTreeMap;

use axum::{
    Json, Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use maud::{Markup, html};

use super::{charts, district_name, need_label, page, state_name};
use crate::{
    domain::{DistrictCode, StateCode},
    http::{AppState, access::CentralOffice, error::AppError, session::SignedIn},
    units::{Rollup, rollup::Counts},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/central", get(central_page))
        .route("/central/rollup.csv", get(rollup_csv))
        .route("/central/rollup.json", get(rollup_json))
}

fn state_of(code: Option<i64>) -> Option<StateCode> {
    code.and_then(|c| u8::try_from(c).ok()).and_then(|c| StateCode::new(c).ok())
}

fn district_of(code: Option<i64>) -> Option<DistrictCode> {
    code.and_then(|c| u16::try_from(c).ok()).and_then(|c| DistrictCode::new(c).ok())
}

async fn central_page(State(app): State<AppState>, CentralOffice(who): CentralOffice) -> Result<Markup, AppError> {
    let rollup = app.rollups.rollup().await?;
    let mut by_state: BTreeMap<Option<i64>, Counts> = BTreeMap::new();
    for ((state, _), c) in &rollup.by_place {
        let total = by_state.entry(*state).or_default();
        total.people += c.people;
        total.cases += c.cases;
    }
    let bars = |pick: fn(&Counts) -> i64| -> Vec<(String, i64)> {
        by_state.iter().map(|(s, c)| (state_name(state_of(*s)), pick(c))).filter(|(_, n)| *n > 0).collect()
    };
    let weeks: Vec<(String, i64)> = rollup.by_week.iter().map(|(w, c)| (w.clone(), c.cases)).collect();
    let body = html! {
        h1 { "केंद्रीय कार्यालय · Central office" }
        p.muted { "सभी इकाइयाँ, केवल गिनती · Every unit, counts only. "
            a href="/central/rollup.csv" { "CSV" } " · " a href="/central/rollup.json" { "JSON" } " (LGD codes)" }
        section.card { (charts::bars("लोग, राज्य से · People by home state", &bars(|c| c.people))) }
        section.card { (charts::bars("केस, राज्य से · Cases by home state", &bars(|c| c.cases))) }
        section.card { (charts::bars("केस, सप्ताह से · Cases by week", &weeks)) }
        h2 { "राज्य और ज़िला · Home state and district" }
        table id="by-place" {
            tr { th { "राज्य · State" } th { "ज़िला · District" } th { "लोग · People" } th { "केस · Cases" } }
            @for ((state, district), c) in &rollup.by_place {
                tr { td { (state_name(state_of(*state))) } td { (district_name(district_of(*district))) } td { (c.people) } td { (c.cases) } }
            }
        }
        (counts_table("by-need", "ज़रूरत · Need", rollup.by_need.iter().map(|(k, c)| (need_label(k.as_deref()).to_owned(), c))))
        (counts_table("by-status", "स्थिति · Status", rollup.by_status.iter().map(|(k, c)| (k.clone(), c))))
        (counts_table("by-source", "स्रोत · Source", rollup.by_source.iter().map(|(k, c)| (k.clone(), c))))
        (counts_table("by-week", "सप्ताह · ISO week (India time)", rollup.by_week.iter().map(|(k, c)| (k.clone(), c))))
    };
    Ok(page("Central office", Some(&who), body))
}

fn counts_table<'a>(id: &str, title: &str, rows: impl Iterator<Item = (String, &'a Counts)>) -> Markup {
    html! {
        h2 { (title) }
        table id=(id) {
            tr { th { (title) } th { "लोग · People" } th { "केस · Cases" } }
            @for (key, c) in rows { tr { td { (key) } td { (c.people) } td { (c.cases) } } }
        }
    }
}

/// Reads the rollup and audits its export as `what`.
async fn exported(app: &AppState, who: &SignedIn, what: &str) -> Result<Rollup, AppError> {
    let rollup = app.rollups.rollup().await?;
    let details = format!("{what}: {} rows", rollup.rows().len());
    app.desk.audit(&who.user, "rollup_export", None, Some(details)).await?;
    Ok(rollup)
}

async fn rollup_csv(State(app): State<AppState>, CentralOffice(who): CentralOffice) -> Result<Response, AppError> {
    let rollup = exported(&app, &who, "rollup.csv").await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rollup.rows() {
        out.serialize(&row).map_err(anyhow::Error::from)?;
    }
    let body = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"sampark-rollup.csv\""),
        ],
        body,
    )
        .into_response())
}

async fn rollup_json(State(app): State<AppState>, CentralOffice(who): CentralOffice) -> Result<Response, AppError> {
    let rollup = exported(&app, &who, "rollup.json").await?;
    Ok(Json(serde_json::json!({ "rows": rollup.rows() })).into_response())
}
