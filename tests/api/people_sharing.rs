//! Sharing the national database: `GET /api/v1/people` for partners'
//! systems with read-only tokens scoped to a unit (filters, pages that
//! neither skip nor repeat anyone, refusals), and `sampark people export`,
//! a CSV nodal officers open safely (LGD codes and names, no cell a
//! spreadsheet would run as a formula).

use chrono::Utc;
use reqwest::StatusCode;
use sampark::{
    domain::PhoneNumber,
    people::{Field, Given},
};
use serde_json::Value;

use super::{cli::sampark, helpers::TestApp, helpers::spawn_app, people::list};

async fn add(app: &TestApp, phone: &str, name: &str, state: &str, district: &str) {
    let mut given = Given { phone: PhoneNumber::parse(phone), values: Vec::new() };
    given.set(Field::Name, name);
    given.set(Field::HomeState, state);
    given.set(Field::HomeDistrict, district);
    app.people.record(&given, &list("bihar-2020")).await.unwrap();
}

/// Unit `bihar` (serving state 10) and a partner token for it, made as
/// an admin would, from the command line.
async fn bihar_partner(app: &TestApp) -> String {
    let run = |args: &[&str]| {
        let output = sampark().args(args).env("SAMPARK_DATABASE_URL", &app.database_url).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["units", "add", "bihar", "--title", "Bihar unit", "--states", "10"]);
    let token = run(&["people", "partner", "add", "relief-ngo", "--unit", "bihar"]).trim().to_owned();
    assert!(token.len() >= 40, "a token: {token}");
    token
}

async fn get(app: &TestApp, token: Option<&str>, query: &str) -> (StatusCode, Value) {
    let mut request = app.client.get(format!("{}/api/v1/people{query}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_partner_reads_its_units_people_a_page_at_a_time_and_nobody_else() {
    // Arrange: five people from Bihar (10), one from Uttar Pradesh (9).
    let app = spawn_app().await;
    for n in 1..=5 {
        add(&app, &format!("+9160000002{n:02}"), &format!("Worker {n}"), "10", if n % 2 == 0 { "212" } else { "214" })
            .await;
    }
    add(&app, "+916000000299", "Elsewhere", "9", "152").await;
    let token = bihar_partner(&app).await;
    // The unit's own list brings a worker from Uttar Pradesh into its people.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "Name,Mobile,State\nTheirs,6000000298,UP\n").unwrap();
    let output = sampark()
        .args(["import", list.to_str().unwrap(), "--source", "bihar-unit", "--unit", "bihar", "--yes"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Act: pages of two.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let (status, page) = get(&app, Some(&token), &query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let people = page["people"].as_array().unwrap();
        assert!(people.len() <= 2);
        seen.extend(people.iter().map(|p| p["phone"].as_str().unwrap().to_owned()));
        match page["next"].as_i64() {
            Some(next) => query = format!("?limit=2&after={next}"),
            None => break,
        }
    }

    // Assert: every Bihar person once, in order; nobody from elsewhere.
    let mut expected: Vec<String> = (1..=5).map(|n| format!("+9160000002{n:02}")).collect();
    expected.push("+916000000298".to_owned());
    assert_eq!(seen, expected);
    let (_, patna) = get(&app, Some(&token), "?home_district=212").await;
    assert_eq!(patna["people"].as_array().unwrap().len(), 2);
    assert_eq!(patna["people"][0]["sources"][0], "import:bihar-2020");
    let (_, calls) = get(&app, Some(&token), "?source=call").await;
    assert_eq!(calls["people"].as_array().unwrap().len(), 0, "nobody called");
    let audited = app.database.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'partner_read_people'").await;
    assert_eq!(audited, 5, "three pages and two filtered reads, each audited");

    // Refusals: no token, a forged one, a bad filter, a revoked token.
    assert_eq!(get(&app, None, "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, Some("forged-token"), "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, Some(&token), "?source=rumour").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, Some(&token), "?limit=lots").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(get(&app, Some(&token), "?phone=+916000000201").await.0, StatusCode::BAD_REQUEST);
    assert!(app.people.revoke_partner("relief-ngo", Utc::now()).await.unwrap());
    assert_eq!(get(&app, Some(&token), "").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_people_export_opens_safely_in_a_spreadsheet_with_lgd_codes_and_names() {
    let app = spawn_app().await;
    add(&app, "+916000000301", "=HYPERLINK(\"http://x\")", "10", "212").await;
    add(&app, "+916000000302", "Sita Devi", "9", "152").await;

    let output = sampark()
        .args(["people", "export", "--format", "csv"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,phone,name,language,home_state_code,home_state,home_district_code,home_district,village,ward,post_office,pin_code,other_phone,current_location,need,consent,sources,open_conflicts"
    );
    assert_eq!(
        lines.next().unwrap(),
        r#"1,'+916000000301,"'=HYPERLINK(""http://x"")",,10,Bihar,212,Patna,,,,,,,,,import:bihar-2020,0"#
    );
    assert_eq!(
        lines.next().unwrap(),
        "2,'+916000000302,Sita Devi,,9,Uttar Pradesh,152,Jaunpur,,,,,,,,,import:bihar-2020,0"
    );
    assert!(lines.next().is_none());
    let audited = app.database.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export_people'").await;
    assert_eq!(audited, 1);
}
