//! What an operator relies on: health, readiness, metrics, retention.

use super::{helpers::spawn_app, twilio_sim::Call};

/// A Twilio recording SID (`RE` and 32 hex digits).
const RE1: &str = "RE00000000000000000000000000000001";
const RE2: &str = "RE00000000000000000000000000000002";
const ACCOUNT: &str = "AC00000000000000000000000000000000";

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.database.execute("DELETE FROM _sqlx_migrations").await;
    let not_ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(not_ready.status(), 503, "migrations not current");
}

#[tokio::test]
async fn metrics_count_webhooks_and_show_the_queue_without_phone_numbers() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CAf0000000000000000000000000000001", "+911000000151").await;
    call.press("1").await;
    call.press("1").await;
    call.press("0").await;
    call.press("10#").await;
    call.hang_up().await;
    let forged = app.post_form("/twilio/voice", &call.params(&[]), Some("forged")).await;
    assert_eq!(forged.status(), 403);
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"sampark_webhooks_total{gateway="twilio",outcome="answered"}"#), "{metrics}");
    assert!(metrics.contains(r#"sampark_webhooks_total{gateway="twilio",outcome="rejected"}"#));
    assert!(metrics.contains(r#"sampark_webhook_duration_seconds_bucket{gateway="twilio",le="0.005"}"#));
    assert!(metrics.contains(r#"sampark_queue_waiting{state="10"} 1"#), "{metrics}");
    assert!(metrics.contains("sampark_calls_in_progress 0"));
    if !app.database_url.starts_with("postgres") {
        // SQLite's group writer: each turn went through a group (one at a time here).
        assert!(metrics.contains(r#"sampark_group_commit_turns_bucket{le="1"}"#), "{metrics}");
    }
    assert!(!metrics.contains("1000000151") && !metrics.contains("CAf000"), "no numbers or call ids in metrics");
}

#[tokio::test]
async fn retention_erases_long_closed_cases_personal_fields_and_nothing_else() {
    use reqwest::Method;
    use serde_json::{Value, json};
    let (gateway, fake) = super::helpers::fake_gateway().await;
    let options = super::helpers::Options {
        env: vec![
            ("SAMPARK_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000".to_owned()),
            ("SAMPARK_TWILIO_API_URL", gateway.clone()),
        ],
        ..super::helpers::Options::default()
    };
    let app = super::helpers::spawn_app_with(options).await;
    let recording = format!("{gateway}/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/{RE1}");
    let place = format!("{gateway}/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/{RE2}");
    // An old case, closed long ago, with a voice message, the district and
    // village said aloud (no district code, then "not in the list"), and notes.
    let mut old = Call::start(&app, "CAf1000000000000000000000000000001", "+911000000161").await;
    for keys in ["1", "1", "0", "10#"] {
        old.press(keys).await;
    }
    for _ in 0..3 {
        old.silence().await;
    }
    old.press("0").await;
    old.leave_message(&place).await;
    old.press("4").await;
    old.leave_message(&recording).await;
    old.hang_up().await;
    app.add_user("closer", "volunteer", "10", "hi", "").await;
    let session = app.api_login("closer").await;
    let claim = |s: &super::helpers::ApiSession| app.api(s, Method::POST, "/api/v1/queue/claim");
    let old_id = claim(&session).send().await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let closing =
        json!({"outcome": "resolved", "notes": "gave ration kit", "worker_name": "Ramesh", "village": "Rampur"});
    app.api(&session, Method::POST, &format!("/api/v1/cases/{old_id}/outcome")).json(&closing).send().await.unwrap();
    app.clock.advance(31 * 24 * 3600);
    // A case closed yesterday, and one still open.
    app.queue_caller("CAf1000000000000000000000000000002", "+911000000162", "1", "10", None).await;
    app.queue_caller("CAf1000000000000000000000000000003", "+911000000163", "1", "10", None).await;
    let session = app.api_login("closer").await;
    let recent_id = claim(&session).send().await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let closing = json!({"outcome": "wrong_number", "notes": "not the worker"});
    app.api(&session, Method::POST, &format!("/api/v1/cases/{recent_id}/outcome")).json(&closing).send().await.unwrap();
    let before: Vec<Value> = app.cases().await;

    let cases = &app.case_store;
    let now = (app.calls.clock())();
    let twilio = sampark::retention::TwilioRecordings {
        client: sampark::retention::no_redirect_client().unwrap(),
        api_url: gateway.clone(),
        account_sid: "AC00000000000000000000000000000000".to_owned(),
        auth_token: sampark::domain::Secret::new("token".to_owned()),
    };
    let purged = sampark::retention::run_once(cases, now, 30, Some(&twilio)).await.unwrap();
    assert_eq!(purged.cases, 1, "only the case closed more than 30 days ago");
    let again = sampark::retention::run_once(cases, now, 30, Some(&twilio)).await.unwrap();
    assert_eq!(again.cases, 0, "erased once");

    let after: Vec<Value> = app.cases().await;
    let old_case = after.iter().find(|c| c["id"] == old_id).unwrap();
    assert_eq!(old_case["phone"], Value::Null);
    assert_eq!(old_case["recording_url"], Value::Null);
    assert_eq!(before.iter().find(|c| c["id"] == old_id).unwrap()["place_recording_url"], place.as_str());
    assert_eq!(old_case["place_recording_url"], Value::Null, "the place said aloud is erased too");
    for kept in ["language", "home_state_code", "home_district_code", "need", "status", "calls", "first_call_at"] {
        assert_eq!(
            old_case[kept],
            before.iter().find(|c| c["id"] == old_id).unwrap()[kept],
            "{kept} is kept for the counts"
        );
    }
    for other in after.iter().filter(|c| c["id"] != old_id) {
        assert_eq!(Some(other), before.iter().find(|c| c["id"] == other["id"]), "untouched");
    }
    let db = &app.database;
    let phones = db.scalar(&format!("SELECT count(*) FROM calls WHERE case_id = {old_id} AND phone IS NOT NULL")).await;
    assert_eq!(phones, 0, "the calls forget the number");
    let urls = db.scalar(&format!("SELECT count(*) FROM call_events WHERE input LIKE '%Recordings/{RE1}%'")).await;
    assert_eq!(urls, 0, "the event log forgets the voice message");
    let states = db.scalar(&format!("SELECT count(*) FROM calls WHERE state LIKE '%Recordings/{RE1}%'")).await;
    assert_eq!(states, 0, "the call state forgets the voice message");
    let states = db.scalar(&format!("SELECT count(*) FROM calls WHERE state LIKE '%Recordings/{RE2}%'")).await;
    assert_eq!(states, 0, "and the place said aloud");
    let others =
        db.scalar(&format!("SELECT count(*) FROM calls WHERE case_id <> {old_id} AND phone IS NOT NULL")).await;
    assert_eq!(others, 2, "other cases' calls keep theirs");
    let requests = fake.requests.lock().await.clone();
    assert!(
        requests.iter().any(|(r, auth, _)| r.starts_with("DELETE ")
            && r.ends_with(&format!("/Recordings/{RE1}"))
            && auth.is_some()),
        "{requests:?}"
    );
    assert!(
        requests.iter().any(|(r, _, _)| r.starts_with("DELETE ") && r.ends_with(&format!("/Recordings/{RE2}"))),
        "the place recording is deleted at the gateway too: {requests:?}"
    );
    // Nothing personal left anywhere for that case: not on its calls, attempts or events.
    app.add_user("auditor", "admin", "", "", "").await;
    let auditor = app.api_login("auditor").await;
    let case: Value =
        app.api(&auditor, Method::GET, &format!("/api/v1/cases/{old_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(case["notes"]["worker_name"], Value::Null);
    assert_eq!(case["history"]["attempts"][0]["notes"], Value::Null);
    assert_eq!(case["history"]["attempts"][0]["outcome"], "resolved", "the outcome is kept");
    let recent: Value = app
        .api(&auditor, Method::GET, &format!("/api/v1/cases/{recent_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recent["history"]["attempts"][0]["notes"], "not the worker");
}

#[tokio::test]
async fn the_database_and_spool_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CAf0000000000000000000000000000009", "+911000000159").await;
    call.press("1").await;
    app.spool
        .append(sampark::spool::SpoolEntry {
            provider: "twilio".to_owned(),
            call_id: sampark::domain::CallId::parse("CAf0000000000000000000000000000010").unwrap(),
            phone: None,
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&app.spool_path), 0o600, "the spool holds callers' numbers");
    if let Some(file) = app.database_url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{file}{suffix}"));
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

/// Issue 9, item 4: retention sent `DELETE` with the account SID and token
/// to any recording URL that merely started like the Twilio API URL. Now it
/// deletes only the account's recording resources at the API's exact
/// scheme, host and port, and only voice messages that came in on a
/// (signed) Twilio call; lookalikes and prefix tricks get no request at all.
#[tokio::test]
async fn retention_deletes_only_genuine_twilio_recordings_that_came_in_through_twilio() {
    use reqwest::Method;
    use serde_json::{Value, json};
    let (twilio, api) = super::helpers::fake_gateway().await;
    let (evil, attacker) = super::helpers::fake_gateway().await;
    let options = super::helpers::Options {
        env: vec![("SAMPARK_TWILIO_ACCOUNT_SID", ACCOUNT.to_owned()), ("SAMPARK_TWILIO_API_URL", twilio.clone())],
        ..super::helpers::Options::default()
    };
    let app = super::helpers::spawn_app_with(options).await;
    let host_of = |url: &str| url.trim_start_matches("http://").to_owned();
    let resource = |re: &str| format!("/2010-04-01/Accounts/{ACCOUNT}/Recordings/{re}");
    let genuine = "RE0000000000000000000000000000000a";
    let twilio_messages = [
        // Starts with the API URL as text; the host is the attacker's.
        format!("{twilio}@{}{}", host_of(&evil), resource("RE0000000000000000000000000000000b")),
        // The API's host, but not a recording resource.
        format!("{twilio}/2010-04-01/Accounts/{ACCOUNT}/Calls.json"),
        format!("{twilio}{}/../../Calls.json", resource("RE0000000000000000000000000000000c")),
        format!("{twilio}{}", resource(genuine)),
    ];
    let keys = ["1", "1", "0", "10#", "212#", "1", "4"];
    for (n, url) in twilio_messages.iter().enumerate() {
        let mut call = Call::start(&app, &format!("CAf2{n:030}"), &format!("+9110000003{n:02}")).await;
        for k in keys {
            call.press(k).await;
        }
        call.leave_message(url).await;
        call.hang_up().await;
    }
    // A well-formed recording URL of the account, but brought in by a KooKoo
    // call (an unsigned gateway): not Twilio's to delete.
    let mut kookoo =
        super::dialects::Phone::dial(&app, super::dialects::Dialect::KooKoo, "f2-kookoo-9", "1000000309").await;
    for k in keys {
        kookoo.press(k).await;
    }
    kookoo.leave_message(&format!("{twilio}{}", resource("RE0000000000000000000000000000000d"))).await;
    kookoo.hang_up().await;
    app.add_user("closer", "volunteer", "10", "hi", "").await;
    let session = app.api_login("closer").await;
    for _ in 0..5 {
        let claimed: Value =
            app.api(&session, Method::POST, "/api/v1/queue/claim").send().await.unwrap().json().await.unwrap();
        let id = claimed["id"].as_i64().unwrap();
        let done = json!({"outcome": "resolved"});
        app.api(&session, Method::POST, &format!("/api/v1/cases/{id}/outcome")).json(&done).send().await.unwrap();
    }
    app.clock.advance(31 * 24 * 3600);
    let twilio_api = sampark::retention::TwilioRecordings {
        client: sampark::retention::no_redirect_client().unwrap(),
        api_url: twilio.clone(),
        account_sid: ACCOUNT.to_owned(),
        auth_token: sampark::domain::Secret::new("token".to_owned()),
    };
    let purged =
        sampark::retention::run_once(&app.case_store, (app.calls.clock())(), 30, Some(&twilio_api)).await.unwrap();
    assert_eq!(purged.cases, 5);
    assert!(attacker.requests.lock().await.is_empty(), "no request at all to a lookalike host");
    let requests = api.requests.lock().await.clone();
    let seen: Vec<(&str, bool)> = requests.iter().map(|(r, auth, _)| (r.as_str(), auth.is_some())).collect();
    assert_eq!(seen, vec![(format!("DELETE {}", resource(genuine)).as_str(), true)], "only the genuine one");
}
