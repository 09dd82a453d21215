//! The callback queue through the JSON API and the pages: scopes, claims,
//! leases, outcomes, CSRF, "Call now", recordings, the audit log.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::helpers::{Options, TestApp, fake_gateway, password, spawn_app, spawn_app_with};

async fn claim(app: &TestApp, session: &super::helpers::ApiSession) -> Option<Value> {
    let response = app.api(session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    match response.status() {
        StatusCode::OK => Some(response.json().await.unwrap()),
        StatusCode::NO_CONTENT => None,
        other => panic!("claim answered {other}"),
    }
}

async fn outcome(app: &TestApp, session: &super::helpers::ApiSession, id: i64, body: Value) -> reqwest::Response {
    app.api(session, Method::POST, &format!("/api/v1/cases/{id}/outcome")).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn a_volunteer_cannot_read_claim_or_export_another_states_cases() {
    let app = spawn_app().await;
    app.queue_caller("CA10000000000000000000000000000001", "+911000000010", "1", "10", None).await;
    app.add_user("up.volunteer", "volunteer", "9", "hi", "").await;
    app.add_user("up.coordinator", "coordinator", "9", "", "").await;
    app.add_user("bihar.volunteer", "volunteer", "10", "hi", "").await;
    let up = app.api_login("up.volunteer").await;
    let case_id = app.only_case().await["id"].as_i64().unwrap();

    assert!(claim(&app, &up).await.is_none(), "nothing in state 9");
    let read = app.api(&up, Method::GET, &format!("/api/v1/cases/{case_id}")).send().await.unwrap();
    assert_eq!(read.status(), 404, "another state's case does not exist for them");
    let queue: Value = app.api(&up, Method::GET, "/api/v1/queue").send().await.unwrap().json().await.unwrap();
    assert_eq!(queue["waiting"], 0);
    let release = app.api(&up, Method::POST, &format!("/api/v1/cases/{case_id}/release")).send().await.unwrap();
    assert_eq!(release.status(), 404);

    let coordinator = app.api_login("up.coordinator").await;
    let csv = app.api(&coordinator, Method::GET, "/reports/cases.csv").send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "only the header: the state-10 case is not theirs\n{csv}");
    let volunteer_export = app.api(&up, Method::GET, "/reports/cases.csv").send().await.unwrap();
    assert_eq!(volunteer_export.status(), 403);

    let bihar = app.api_login("bihar.volunteer").await;
    let taken = claim(&app, &bihar).await.expect("the state-10 volunteer gets it");
    assert_eq!(taken["id"], case_id);
    assert_eq!(taken["home_state_name"], "Bihar");
}

#[tokio::test]
async fn fifty_concurrent_claims_on_twenty_cases_give_twenty_distinct_claims() {
    let app = spawn_app().await;
    for n in 0..20 {
        app.queue_caller(&format!("CA2{n:031}"), &format!("+9110000001{n:02}"), "1", "9", None).await;
    }
    let mut sessions = Vec::new();
    for n in 0..50 {
        let name = format!("volunteer{n:02}");
        app.add_user(&name, "volunteer", "9", "hi", "").await;
        sessions.push(app.api_login(&name).await);
    }
    let claims = futures::future::join_all(sessions.iter().map(|s| claim(&app, s))).await;
    let taken: Vec<i64> = claims.iter().flatten().map(|c| c["id"].as_i64().unwrap()).collect();
    let distinct: HashSet<i64> = taken.iter().copied().collect();
    assert_eq!(taken.len(), 20, "twenty claims");
    assert_eq!(distinct.len(), 20, "no case held twice");
    assert_eq!(claims.iter().filter(|c| c.is_none()).count(), 30, "thirty empty answers");
}

/// What must not happen: one volunteer holding several callers' numbers
/// (each claim shows one) while the other cases sit invisible until their
/// leases run out.
#[tokio::test]
async fn twenty_concurrent_taps_by_one_volunteer_claim_one_case() {
    let app = spawn_app().await;
    for n in 0..40 {
        app.queue_caller(&format!("CA5{n:031}"), &format!("+9110000005{n:02}"), "1", "9", None).await;
    }
    // Eight trials, each a volunteer tapping "take next" 20 times at once
    // from 10 sessions (phones, tabs).
    for trial in 0..8 {
        let name = format!("tapper{trial}");
        app.add_user(&name, "volunteer", "9", "hi", "").await;
        let mut sessions = Vec::new();
        for _ in 0..10 {
            sessions.push(app.api_login(&name).await);
        }
        let taps = futures::future::join_all(sessions.iter().cycle().take(20).map(|s| claim(&app, s))).await;
        let ids: HashSet<i64> = taps.iter().map(|c| c.as_ref().expect("a case")["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 1, "trial {trial}: every tap answers the one case held: {ids:?}");
        let held = app
            .database
            .scalar(&format!(
                "SELECT count(*) FROM cases WHERE claimed_by = (SELECT id FROM users WHERE username = '{name}')"
            ))
            .await;
        assert_eq!(held, 1, "trial {trial}: the database holds one claim for {name}");
    }
    assert_eq!(app.database.scalar("SELECT count(*) FROM cases WHERE claimed_by IS NOT NULL").await, 8);

    // A claim that ran out does not count: the volunteer can take a case again.
    app.clock.advance(15 * 60 + 1);
    let session = app.api_login("tapper0").await;
    let taps = futures::future::join_all((0..10).map(|_| claim(&app, &session))).await;
    let ids: HashSet<i64> = taps.iter().map(|c| c.as_ref().expect("a case")["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let held = app
        .database
        .scalar("SELECT count(*) FROM cases WHERE claimed_by = (SELECT id FROM users WHERE username = 'tapper0')")
        .await;
    assert_eq!(held, 1);
}

/// The last waiting case taken by one of a volunteer's own taps: the other
/// taps find nothing left to claim, and answer the case that tap holds,
/// not "nobody is waiting".
#[tokio::test]
async fn concurrent_taps_on_the_last_case_all_answer_it() {
    let app = spawn_app().await;
    for trial in 0..8 {
        app.queue_caller(&format!("CA7{trial:031}"), &format!("+9110000007{trial:02}"), "1", "9", None).await;
        let name = format!("last{trial}");
        app.add_user(&name, "volunteer", "9", "hi", "").await;
        let mut sessions = Vec::new();
        for _ in 0..10 {
            sessions.push(app.api_login(&name).await);
        }
        let taps = futures::future::join_all(sessions.iter().cycle().take(20).map(|s| claim(&app, s))).await;
        let ids: Vec<Option<i64>> = taps.iter().map(|c| c.as_ref().map(|c| c["id"].as_i64().unwrap())).collect();
        let first = ids[0].expect("a case");
        assert!(ids.iter().all(|id| *id == Some(first)), "trial {trial}: every tap answers the one case: {ids:?}");
    }
}

#[tokio::test]
async fn disabling_a_volunteer_puts_their_case_back_at_once() {
    let app = spawn_app().await;
    app.queue_caller("CA60000000000000000000000000000001", "+911000000061", "1", "9", None).await;
    app.add_user("leaving", "volunteer", "9", "hi", "").await;
    app.add_user("staying", "volunteer", "9", "hi", "").await;
    let leaving = app.api_login("leaving").await;
    let staying = app.api_login("staying").await;
    let id = claim(&app, &leaving).await.unwrap()["id"].as_i64().unwrap();
    assert!(claim(&app, &staying).await.is_none(), "held");
    app.users.set_user_disabled("leaving", true, chrono::Utc::now()).await.unwrap();
    assert_eq!(claim(&app, &staying).await.unwrap()["id"], id, "back in the queue, not after the lease");
}

#[tokio::test]
async fn medical_need_first_then_the_longest_waiting_by_first_call() {
    let app = spawn_app().await;
    app.queue_caller("CA30000000000000000000000000000001", "+911000000031", "1", "9", Some("1")).await;
    app.clock.advance(60);
    app.queue_caller("CA30000000000000000000000000000002", "+911000000032", "1", "9", Some("2")).await;
    app.clock.advance(60);
    app.queue_caller("CA30000000000000000000000000000003", "+911000000033", "1", "9", Some("4")).await;
    // The first caller calls again: the case keeps its place (first call).
    app.clock.advance(60);
    app.queue_caller("CA30000000000000000000000000000004", "+911000000031", "1", "9", None).await;
    app.add_user("vol1", "volunteer", "9", "hi", "").await;
    app.add_user("vol2", "volunteer", "9", "hi", "").await;
    app.add_user("vol3", "volunteer", "9", "hi", "").await;
    let mut order = Vec::new();
    for name in ["vol1", "vol2", "vol3"] {
        let session = app.api_login(name).await;
        let case = claim(&app, &session).await.unwrap();
        order.push((case["need"].clone(), case["calls"].as_i64().unwrap()));
    }
    assert_eq!(order[0].0, "medical");
    assert_eq!(order[1], (json!("food"), 2), "then the first caller, who called twice");
    assert_eq!(order[2].0, "money");
}

#[tokio::test]
async fn a_lease_that_runs_out_puts_the_case_back() {
    let app = spawn_app().await;
    app.queue_caller("CA40000000000000000000000000000001", "+911000000041", "1", "9", None).await;
    app.add_user("first", "volunteer", "9", "hi", "").await;
    app.add_user("second", "volunteer", "9", "hi", "").await;
    let first = app.api_login("first").await;
    let second = app.api_login("second").await;
    let case = claim(&app, &first).await.unwrap();
    let id = case["id"].as_i64().unwrap();
    assert!(claim(&app, &second).await.is_none(), "held by the first volunteer");
    assert_eq!(claim(&app, &first).await.unwrap()["id"], id, "a second tap gets the same case");
    app.clock.advance(15 * 60 + 1);
    assert_eq!(claim(&app, &second).await.unwrap()["id"], id, "the lease ran out");
    let late = outcome(&app, &first, id, json!({"outcome": "resolved"})).await;
    assert_eq!(late.status(), 409, "the first volunteer no longer holds it");
    let done =
        outcome(&app, &second, id, json!({"outcome": "resolved", "worker_name": "Ramesh", "village": "Rampur"})).await;
    assert_eq!(done.status(), 200);
    let case = app.only_case().await;
    assert_eq!(case["status"], "resolved");
}

#[tokio::test]
async fn no_answer_backs_off_30_minutes_2_hours_a_day_and_closes_after_five() {
    let app = spawn_app().await;
    app.queue_caller("CA50000000000000000000000000000001", "+911000000051", "1", "9", None).await;
    app.add_user("caller", "volunteer", "9", "hi", "").await;
    let waits = [30 * 60, 2 * 3600, 24 * 3600, 24 * 3600];
    for (attempt, wait) in waits.iter().enumerate() {
        // Days pass: the volunteer signs in again each time.
        let session = app.api_login("caller").await;
        let id = claim(&app, &session).await.unwrap_or_else(|| panic!("attempt {} is due", attempt + 1))["id"]
            .as_i64()
            .unwrap();
        assert_eq!(outcome(&app, &session, id, json!({"outcome": "no_answer"})).await.status(), 200);
        assert!(claim(&app, &session).await.is_none(), "not due right after attempt {}", attempt + 1);
        app.clock.advance(wait - 60);
        let session = app.api_login("caller").await;
        assert!(claim(&app, &session).await.is_none(), "still not due a minute before the backoff ends");
        app.clock.advance(61);
    }
    let session = app.api_login("caller").await;
    let id = claim(&app, &session).await.expect("the fifth attempt is due")["id"].as_i64().unwrap();
    outcome(&app, &session, id, json!({"outcome": "no_answer"})).await;
    app.clock.advance(7 * 24 * 3600);
    let session = app.api_login("caller").await;
    assert!(claim(&app, &session).await.is_none(), "closed as unreachable");
    let case = app.only_case().await;
    assert_eq!(case["status"], "unreachable");
    let history: Value =
        app.api(&session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(history["history"]["attempts"].as_array().unwrap().len(), 5, "every attempt is kept");
}

#[tokio::test]
async fn bad_outcomes_are_refused_with_a_reason() {
    let app = spawn_app().await;
    app.queue_caller("CA60000000000000000000000000000001", "+911000000061", "1", "9", None).await;
    app.add_user("careful", "volunteer", "9", "hi", "").await;
    let session = app.api_login("careful").await;
    let id = claim(&app, &session).await.unwrap()["id"].as_i64().unwrap();
    for (body, reason) in [
        (json!({"outcome": "maybe"}), "not an outcome"),
        (json!({"outcome": "follow_up"}), "referred"),
        (json!({"outcome": "call_back", "callback_at": "yesterday"}), "date"),
        (json!({"outcome": "resolved", "pin_code": "12"}), "six digits"),
    ] {
        let response = outcome(&app, &session, id, body).await;
        assert_eq!(response.status(), 422);
        assert!(response.text().await.unwrap().contains(reason), "{reason}");
    }
    let later = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let response = outcome(&app, &session, id, json!({"outcome": "call_back", "callback_at": later})).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_and_bearer_sessions_do_not() {
    let app = spawn_app().await;
    app.queue_caller("CA70000000000000000000000000000001", "+911000000071", "1", "9", None).await;
    app.add_user("cookie", "volunteer", "9", "hi", "").await;
    let session = app.api_login("cookie").await;
    let cookie = format!("sampark_session={}", session.token);
    let url = format!("{}/api/v1/queue/claim", app.address);
    let without = app.client.post(&url).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(without.status(), 403);
    let wrong = app.client.post(&url).header("Cookie", &cookie).header("X-CSRF-Token", "nope").send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let page_form = app
        .client
        .post(format!("{}/queue/claim", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(page_form.status(), 403, "a form from elsewhere is refused");
    assert_eq!(app.counts().await.cases, 1);
    let right =
        app.client.post(&url).header("Cookie", &cookie).header("X-CSRF-Token", &session.csrf).send().await.unwrap();
    assert_eq!(right.status(), 200);
    let unauthenticated = app.client.post(&url).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_down() {
    let app = spawn_app().await;
    app.add_user("target", "volunteer", "9", "hi", "").await;
    let url = format!("{}/api/v1/login", app.address);
    let wrong = json!({"username": "target", "password": "not-the-password"});
    for _ in 0..5 {
        assert_eq!(app.client.post(&url).json(&wrong).send().await.unwrap().status(), 401);
    }
    let right = json!({"username": "target", "password": password("target")});
    let throttled = app.client.post(&url).json(&right).send().await.unwrap();
    assert_eq!(throttled.status(), 429, "even the right password waits");
    assert!(throttled.headers().contains_key("retry-after"));
    app.clock.advance(31);
    assert_eq!(app.client.post(&url).json(&right).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_number_is_shown_only_to_the_holder_and_every_showing_is_audited() {
    let app = spawn_app().await;
    app.queue_caller("CA80000000000000000000000000000001", "+911000000081", "1", "9", None).await;
    app.add_user("holder", "volunteer", "9", "hi", "").await;
    app.add_user("looker", "volunteer", "9", "hi", "").await;
    let holder = app.api_login("holder").await;
    let looker = app.api_login("looker").await;
    let case = claim(&app, &holder).await.unwrap();
    assert_eq!(case["phone"], "+911000000081");
    let id = case["id"].as_i64().unwrap();
    let seen: Value =
        app.api(&looker, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen["phone"], Value::Null);
    assert_eq!(seen["phone_masked"], "+91*******081");
    let log = app.audit.latest(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "view_number" && e.username.as_deref() == Some("holder") && e.case_id == Some(id))
    );
    assert!(!log.iter().any(|e| e.username.as_deref() == Some("looker")));
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let app = spawn_app().await;
    app.add_user("leaver", "volunteer", "9", "hi", "").await;
    let session = app.api_login("leaver").await;
    assert_eq!(app.api(&session, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 200);
    app.users.set_user_disabled("leaver", true, chrono::Utc::now()).await.unwrap();
    assert_eq!(app.api(&session, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_referred_caller_who_calls_again_is_back_in_the_queue() {
    let app = spawn_app().await;
    app.queue_caller("CA90000000000000000000000000000001", "+911000000091", "1", "9", None).await;
    app.add_user("referrer", "volunteer", "9", "hi", "").await;
    let session = app.api_login("referrer").await;
    let id = claim(&app, &session).await.unwrap()["id"].as_i64().unwrap();
    outcome(&app, &session, id, json!({"outcome": "follow_up", "referred_to": "district officer, Lucknow"})).await;
    assert!(claim(&app, &session).await.is_none(), "referred: out of the callback queue");
    app.queue_caller("CA90000000000000000000000000000002", "+911000000091", "1", "9", None).await;
    let again = claim(&app, &session).await.expect("the caller called again");
    assert_eq!(again["id"], id);
    assert_eq!(again["referred_to"], "district officer, Lucknow");
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn call_now_asks_twilio_to_ring_the_volunteer_then_bridge_to_the_caller() {
    let (gateway, fake) = fake_gateway().await;
    let options = Options {
        env: vec![
            ("SAMPARK_CALLBACK_GATEWAY", "twilio".to_owned()),
            ("SAMPARK_TWILIO_API_URL", gateway.clone()),
            ("SAMPARK_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000".to_owned()),
            ("SAMPARK_TWILIO_CALLER_ID", "+910000000000".to_owned()),
        ],
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    app.queue_caller("CAa0000000000000000000000000000001", "+911000000101", "1", "9", None).await;
    app.add_user("dialer", "volunteer", "9", "hi", "+911000000999").await;
    let session = app.api_login("dialer").await;
    let id = claim(&app, &session).await.unwrap()["id"].as_i64().unwrap();

    let cookie = format!("sampark_session={}", session.token);
    let response = app
        .client
        .post(format!("{}/cases/{id}/call", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", &session.csrf)]);
    let response = response.send().await.unwrap();
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());

    let requests = fake.requests.lock().await.clone();
    let (path, auth, form) = requests.last().expect("Twilio's Calls API was called");
    assert_eq!(path, "POST /2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json");
    assert!(auth.as_deref().is_some_and(|a| a.starts_with("Basic ")), "account credentials");
    assert_eq!(param(form, "To"), Some("+911000000999"), "the volunteer is rung first");
    assert_eq!(param(form, "From"), Some("+910000000000"), "showing the helpline's number");
    let bridge_url = param(form, "Url").unwrap().to_owned();
    assert!(bridge_url.starts_with("https://sampark.test/twilio/bridge?attempt="), "{bridge_url}");
    assert!(!bridge_url.contains("1000000101"), "the caller's number is not in the URL");

    // Twilio fetches the bridge TwiML, signed: it dials the caller.
    let path = bridge_url.strip_prefix("https://sampark.test").unwrap();
    let twilio_form: Vec<(String, String)> = vec![("CallSid".into(), "CA99999999999999999999999999999999".into())];
    let twiml = app.post_form(path, &twilio_form, None).await.text().await.unwrap();
    assert!(twiml.contains("<Dial callerId=\"+910000000000\""), "{twiml}");
    assert!(twiml.contains("<Number>+911000000101</Number>"), "{twiml}");
    let unsigned = app.post_form(path, &twilio_form, Some("")).await;
    assert_eq!(unsigned.status(), 403, "the caller's number goes only to Twilio");

    let status = [
        ("CallSid".to_owned(), "CA99999999999999999999999999999999".to_owned()),
        ("CallStatus".to_owned(), "completed".to_owned()),
    ];
    assert_eq!(app.post_form("/twilio/bridge-status?attempt=1", &status, None).await.status(), 204);
    let case: Value =
        app.api(&session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    let attempt = &case["history"]["attempts"][0];
    assert_eq!(attempt["gateway"], "twilio");
    assert_eq!(attempt["call_status"], "completed");
    outcome(&app, &session, id, json!({"outcome": "resolved"})).await;
    let case: Value =
        app.api(&session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(case["history"]["attempts"].as_array().unwrap().len(), 1, "the outcome fills the call's attempt");
    let log = app.audit.latest(20).await.unwrap();
    assert!(log.iter().any(|e| e.action == "call_now" && e.case_id == Some(id)));
}

#[tokio::test]
async fn call_now_through_exotel_connects_volunteer_then_caller() {
    let (gateway, fake) = fake_gateway().await;
    let options = Options {
        env: vec![
            ("SAMPARK_CALLBACK_GATEWAY", "exotel".to_owned()),
            ("SAMPARK_EXOTEL_API_URL", gateway.clone()),
            ("SAMPARK_EXOTEL_ACCOUNT_SID", "helpline1".to_owned()),
            ("SAMPARK_EXOTEL_API_KEY", "key".to_owned()),
            ("SAMPARK_EXOTEL_API_TOKEN", "token".to_owned()),
            ("SAMPARK_EXOTEL_CALLER_ID", "08000000002".to_owned()),
        ],
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    app.queue_caller("CAb0000000000000000000000000000001", "+911000000111", "1", "9", None).await;
    app.add_user("exo", "volunteer", "9", "hi", "01000000998").await;
    let session = app.api_login("exo").await;
    let id = claim(&app, &session).await.unwrap()["id"].as_i64().unwrap();
    let cookie = format!("sampark_session={}", session.token);
    app.client
        .post(format!("{}/cases/{id}/call", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", &session.csrf)])
        .send()
        .await
        .unwrap();
    let requests = fake.requests.lock().await.clone();
    let (path, _, form) = requests.last().expect("Exotel's connect API was called");
    assert_eq!(path, "POST /v1/Accounts/helpline1/Calls/connect.json");
    assert_eq!(param(form, "From"), Some("+911000000998"), "the volunteer first");
    assert_eq!(param(form, "To"), Some("+911000000111"));
    assert_eq!(param(form, "CallerId"), Some("08000000002"));
    let callback = param(form, "StatusCallback").unwrap();
    let local = callback.replace("https://sampark.test", &app.address);
    let done =
        app.client.post(local).form(&[("CallSid", "exotel-call-1"), ("Status", "completed")]).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let case: Value =
        app.api(&session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(case["history"]["attempts"][0]["call_status"], "completed");
}

#[tokio::test]
async fn recordings_are_served_only_to_users_who_may_see_the_case_and_audited() {
    let (gateway, _) = fake_gateway().await;
    let app = spawn_app_with(media_stand_in(&gateway, "")).await;
    let mut call = super::twilio_sim::Call::start(&app, "CAc0000000000000000000000000000001", "+911000000121").await;
    for keys in ["1", "1", "0", "9#", "187#", "1", "4"] {
        call.press(keys).await;
    }
    call.leave_message(&format!("{gateway}/recordings/rec-1.wav")).await;
    call.hang_up().await;
    app.add_user("listener", "volunteer", "9", "hi", "").await;
    app.add_user("outsider", "volunteer", "10", "hi", "").await;
    let listener = app.api_login("listener").await;
    let outsider = app.api_login("outsider").await;
    let case = claim(&app, &listener).await.unwrap();
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["recording"], format!("/cases/{id}/recording"), "the API never gives the gateway's URL");
    let audio = app.api(&listener, Method::GET, &format!("/cases/{id}/recording")).send().await.unwrap();
    assert_eq!(audio.status(), 200);
    assert!(audio.bytes().await.unwrap().starts_with(b"RIFF"));
    let denied = app.api(&outsider, Method::GET, &format!("/cases/{id}/recording")).send().await.unwrap();
    assert_eq!(denied.status(), 404);
    let anonymous = app.client.get(format!("{}/cases/{id}/recording", app.address)).send().await.unwrap();
    assert!(anonymous.url().path().ends_with("/login"), "signed-out users are sent to sign in");
    let log = app.audit.latest(20).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "play_recording").count(), 1);
}

#[tokio::test]
async fn coordinators_see_figures_and_plots_for_their_states() {
    let app = spawn_app().await;
    app.queue_caller("CAd0000000000000000000000000000001", "+911000000131", "1", "9", None).await;
    app.add_user("cell", "coordinator", "9", "", "").await;
    app.add_user("worker", "volunteer", "9", "hi", "").await;
    let worker = app.api_login("worker").await;
    let id = claim(&app, &worker).await.unwrap()["id"].as_i64().unwrap();
    app.clock.advance(600);
    assert_eq!(outcome(&app, &worker, id, json!({"outcome": "resolved"})).await.status(), 200);
    let cell = app.api_login("cell").await;
    let page = app.api(&cell, Method::GET, "/reports").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<svg"), "plots drawn on the server");
    assert!(page.contains("ttfc-median"));
    assert!(page.contains("10 min"), "ten minutes from first call to first callback");
    assert!(page.contains("<td>worker</td>"), "the state's volunteers are listed");
    let forbidden = app.api(&worker, Method::GET, "/reports").send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
}

/// Settings that make the fake gateway at `gateway` (on 127.0.0.1) one of
/// Twilio's recording hosts, with `more` hosts besides, and let it be on a
/// loopback address: the explicit escape hatch for tests and stand-ins.
fn media_stand_in(gateway: &str, more: &str) -> Options {
    Options {
        env: vec![
            ("SAMPARK_TWILIO_RECORDING_HOSTS", format!("{gateway}{more}")),
            ("SAMPARK_RECORDING_PRIVATE_HOSTS", "127.0.0.1".to_owned()),
        ],
        ..Options::default()
    }
}

/// A Twilio caller (state 10, Hindi) who leaves a voice message at `url`.
async fn caller_with_message(app: &TestApp, n: u32, url: &str) {
    let sid = format!("CAc1{n:030}");
    let mut call = super::twilio_sim::Call::start(app, &sid, &format!("+9110000002{n:02}")).await;
    for keys in ["1", "1", "0", "10#", "212#", "1", "4"] {
        call.press(keys).await;
    }
    call.leave_message(url).await;
    call.hang_up().await;
}

/// Issue 9, item 9: a voice message whose URL pointed at a loopback address
/// streamed that internal page to a volunteer. The player now fetches only
/// from the recording hosts of the gateway the message came through, never
/// from an internal address (checked after DNS resolution), and follows no
/// redirect to another host; a refusal says why and fetches nothing.
#[tokio::test]
async fn the_voice_message_player_fetches_only_from_the_gateways_recording_hosts() {
    let (allowed, media) = fake_gateway().await;
    let (elsewhere, internal) = fake_gateway().await;
    let port = allowed.rsplit(':').next().unwrap().to_owned();
    // `localhost` is one of Twilio's hosts here, but not allowed to be internal.
    let app = spawn_app_with(media_stand_in(&allowed, &format!(",http://localhost:{port}"))).await;
    let urls = [
        format!("{elsewhere}/internal-page"),
        format!("http://localhost:{port}/internal-page"),
        format!("{allowed}/recordings/redirect?to={elsewhere}/recordings/elsewhere.wav"),
        format!("{allowed}/recordings/rec-1.wav"),
    ];
    for (n, url) in urls.iter().enumerate() {
        caller_with_message(&app, u32::try_from(n).unwrap() + 1, url).await;
    }
    // The same allowed URL, but brought in by a KooKoo call: not KooKoo's host.
    let mut kookoo =
        super::dialects::Phone::dial(&app, super::dialects::Dialect::KooKoo, "c1-kookoo-5", "1000000205").await;
    for keys in ["1", "1", "0", "10#", "212#", "1", "4"] {
        kookoo.press(keys).await;
    }
    kookoo.leave_message(&urls[3]).await;
    kookoo.hang_up().await;
    app.add_user("listener", "volunteer", "10", "hi", "").await;
    let listener = app.api_login("listener").await;
    let play = |id: i64| app.api(&listener, Method::GET, &format!("/cases/{id}/recording")).send();

    let not_listed = play(1).await.unwrap();
    assert_eq!(not_listed.status(), 502);
    let why = not_listed.text().await.unwrap();
    assert!(why.contains("is not one of twilio's recording hosts"), "{why}");
    let loopback = play(2).await.unwrap();
    assert_eq!(loopback.status(), 502);
    let why = loopback.text().await.unwrap();
    assert!(why.contains("private, loopback or link-local"), "{why}");
    let redirected = play(3).await.unwrap();
    assert_eq!(redirected.status(), 502);
    let why = redirected.text().await.unwrap();
    assert!(why.contains("is not one of twilio's recording hosts"), "a redirect elsewhere is refused: {why}");
    let other_gateway = play(5).await.unwrap();
    assert_eq!(other_gateway.status(), 502, "a KooKoo message is fetched only from KooKoo's hosts");
    assert!(internal.requests.lock().await.is_empty(), "nothing was fetched from the internal host");
    assert!(media.requests.lock().await.is_empty(), "nothing but the redirect and the audio from the media host");

    let genuine = play(4).await.unwrap();
    assert_eq!(genuine.status(), 200);
    assert!(genuine.bytes().await.unwrap().starts_with(b"RIFF"), "an allowed host still plays");
}
