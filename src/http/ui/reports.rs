//! Coordinator and admin pages: waiting cases by state and district, time
//! to first callback, outcomes per India day (plots drawn server-side), and
//! the CSV export of the cases in their states. Days and times are India
//! time (IST), as on every page.

use axum::{
    Router,
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use maud::{Markup, html};

use super::{charts, district_name, page, state_name};
use crate::{
    auth::Role,
    cases::{ExportFormat, write_export},
    http::{AppState, access::Coordinator, error::AppError},
    queue::{OutcomeKind, Scope},
    reports::{self, DayOutcomes},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports", get(reports)).route("/reports/cases.csv", get(export))
}

/// The value below which `q` of the sorted values fall (nearest rank).
pub fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "—".to_owned(),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 48 * 3600 => format!("{:.1} h", s as f64 / 3600.0),
        Some(s) => format!("{:.1} days", s as f64 / 86400.0),
    }
}

/// The days "outcomes per day" covers, today included.
const OUTCOME_DAYS: u64 = 14;

async fn reports(State(app): State<AppState>, Coordinator(who): Coordinator) -> Result<Markup, AppError> {
    let scope = Scope::of(&who.user);
    let now = app.desk.now();
    let since = reports::india_days_since(now, OUTCOME_DAYS);
    let (districts, mut delays, outcomes) = match (
        app.reports.waiting_by_district(&scope, now).await,
        app.reports.first_callback_delays(&scope).await,
        app.reports.outcomes_per_day(&scope, since).await,
    ) {
        (Ok(d), Ok(t), Ok(o)) => (d, t, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return Err(e.into()),
    };
    let users = app.users.users().await;
    let (users, activity) = match (users, app.reports.attempts_by_user(now - chrono::Duration::days(7)).await) {
        (Ok(u), Ok(a)) => (u, a),
        (Err(e), _) | (_, Err(e)) => return Err(e.into()),
    };
    // The volunteers who serve at least one of the coordinator's states.
    let team: Vec<_> = users
        .iter()
        .filter(|u| u.role == Role::Volunteer)
        .filter(|u| who.user.role == Role::Admin || u.states.iter().any(|s| who.user.states.contains(s)))
        .map(|u| (u, activity.iter().find(|(id, _, _)| *id == u.id)))
        .collect();
    delays.sort_unstable();
    let mut by_state: Vec<(String, i64)> = Vec::new();
    for d in &districts {
        let name = state_name(d.home_state_code);
        match by_state.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += d.waiting,
            None => by_state.push((name, d.waiting)),
        }
    }
    by_state.sort_by_key(|(_, waiting)| std::cmp::Reverse(*waiting));
    let top_districts: Vec<(String, i64)> =
        districts.iter().take(15).map(|d| (district_name(d.home_district_code), d.waiting)).collect();
    let mut days: Vec<(String, Vec<(String, i64)>)> = Vec::new();
    for o in &outcomes {
        match days.iter_mut().find(|(d, _)| *d == o.day) {
            Some((_, parts)) => parts.push((o.outcome.clone(), o.count)),
            None => days.push((o.day.clone(), vec![(o.outcome.clone(), o.count)])),
        }
    }
    let body = html! {
        h1 { "रिपोर्ट · Reports" }
        p.muted { "आपके राज्य · Your states: "
            @if who.user.role == Role::Admin { "सभी · all" } @else { (who.user.states.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } }
        p.muted { "दिन और समय भारतीय समय में · Days and times are India time (IST, UTC+05:30)." }
        p { a.button href="/reports/cases.csv" { "CSV निकालें · Export cases (CSV)" } }
        h2 { "पहली कॉल-बैक तक समय · Time to first callback" }
        p { "माध्य · median " strong id="ttfc-median" { (duration(percentile(&delays, 0.5))) }
            " · 90वाँ प्रतिशतक · 90th percentile " strong id="ttfc-p90" { (duration(percentile(&delays, 0.9))) }
            span.muted { " (" (delays.len()) " cases)" } }
        h2 { "इंतज़ार में · Waiting" }
        (charts::bars("Waiting cases by state", &by_state))
        (charts::bars("Waiting cases by district (top 15)", &top_districts))
        table {
            tr { th { "राज्य · State" } th { "ज़िला · District" } th { "इंतज़ार · Waiting" } }
            @for d in &districts {
                tr { td { (state_name(d.home_state_code)) } td { (district_name(d.home_district_code)) } td { (d.waiting) } }
            }
        }
        h2 { "रोज़ के नतीजे · Outcomes per day (" (OUTCOME_DAYS) " days, India time)" }
        (charts::stacked_days("Outcomes per day", &days, &OutcomeKind::ALL.map(OutcomeKind::as_str)))
        (outcome_table(&outcomes))
        h2 { "स्वयंसेवक · Volunteers" }
        table id="team" {
            tr { th { "नाम · Volunteer" } th { "राज्य · States" } th { "भाषाएँ · Languages" } th { "7 दिन में कॉल · Callbacks, 7 days" } th { "आख़िरी · Last" } }
            @for (user, act) in &team {
                tr {
                    td { (user.username) @if user.disabled { " (disabled)" } }
                    td { (user.states.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                    td { (user.languages.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                    td { (act.map_or(0, |a| a.1)) }
                    td { (act.map_or_else(String::new, |a| super::when(&a.2))) }
                }
            }
        }
    };
    Ok(page("Reports", Some(&who), body))
}

/// The figures under the outcomes plot, for reading and for screen readers.
fn outcome_table(outcomes: &[DayOutcomes]) -> Markup {
    html! {
        div.scroll {
            table id="outcomes-per-day" {
                tr { th { "दिन (IST) · Day (IST)" } th { "नतीजा · Outcome" } th { "संख्या · Count" } }
                @for o in outcomes {
                    tr { td { (o.day) } td { (o.outcome) } td { (o.count) } }
                }
            }
        }
    }
}

async fn export(State(app): State<AppState>, Coordinator(who): Coordinator) -> Result<Response, AppError> {
    let scope = Scope::of(&who.user);
    let mut csv = Vec::new();
    let count = write_export(app.reports.export_scoped_cases(&scope), ExportFormat::Csv, &mut csv).await?;
    let details = format!("cases.csv: {count} cases, states {}", scope.states_json());
    app.desk.audit(&who.user, "export", None, Some(details)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"sampark-cases.csv\""),
        ],
        Body::from(csv),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(percentile(&values, 0.5), Some(50));
        assert_eq!(percentile(&values, 0.9), Some(90));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
