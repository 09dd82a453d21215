//! Reports in India time: an outcome counts on its India day (an evening in
//! UTC is the next morning in India), times say IST, and every outcome a
//! volunteer can record is counted, "cannot call back" too.

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::helpers::spawn_app;

#[tokio::test]
async fn an_outcome_at_20_00_utc_counts_on_the_next_india_day() {
    let app = spawn_app().await;
    app.queue_caller("CAe1000000000000000000000000000001", "+911000000501", "1", "9", None).await;
    app.queue_caller("CAe1000000000000000000000000000002", "+911000000502", "1", "9", None).await;
    app.add_user("cell", "coordinator", "9", "", "").await;
    app.add_user("worker", "volunteer", "9", "hi", "").await;
    let worker = app.api_login("worker").await;
    for outcome in ["resolved", "cannot_call_back"] {
        let case = app.api(&worker, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
        let id = case.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
        let body = json!({ "outcome": outcome });
        let done = app.api(&worker, Method::POST, &format!("/api/v1/cases/{id}/outcome")).json(&body).send().await;
        assert_eq!(done.unwrap().status(), StatusCode::OK, "{outcome}");
    }
    // Both outcomes at 20:00 UTC yesterday: 01:30 IST today (in India).
    let utc_day = Utc::now().date_naive().checked_sub_days(Days::new(1)).unwrap();
    let india_day = utc_day.checked_add_days(Days::new(1)).unwrap();
    app.database.execute(&format!("UPDATE attempts SET finished_at = '{utc_day}T20:00:00+00:00'")).await;

    let cell = app.api_login("cell").await;
    let html = app.api(&cell, Method::GET, "/reports").send().await.unwrap().text().await.unwrap();
    for outcome in ["resolved", "cannot_call_back"] {
        let row = format!("<tr><td>{india_day}</td><td>{outcome}</td><td>1</td></tr>");
        assert!(html.contains(&row), "{outcome} on the India day {india_day}:\n{html}");
        assert!(html.contains(&format!("{india_day} {outcome}: 1")), "and in the plot");
    }
    assert!(!html.contains(&format!("<td>{utc_day}</td>")), "not on the UTC day {utc_day}");
    assert!(html.contains(">cannot_call_back</text>"), "the plot's legend knows the new outcome");
    assert!(html.contains(" IST</td>"), "the volunteers' last callback says it is India time");

    let csv = app.api(&cell, Method::GET, "/reports/cases.csv").send().await.unwrap().text().await.unwrap();
    assert!(csv.contains(",cannot_call_back,"), "the export carries the new status:\n{csv}");
}
