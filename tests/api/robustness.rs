//! Retries, bad input, late and missing callbacks, failures: nothing a
//! caller gave is lost, and the caller always hears something.

use std::time::Duration;

use serde_json::Value;

use super::{
    helpers::{Options, repo_path, spawn_app, spawn_app_with},
    twilio_sim::{Call, Twiml},
};

const CALLER: &str = "+911000000001";

#[tokio::test]
async fn a_retried_webhook_gets_the_same_reply_and_records_nothing_new() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000030", CALLER).await;
    let first_answer = call.twiml.raw.clone();
    let retried = call.request("https://sampark.test/twilio/voice", &[("CallStatus", "ringing")]).await;
    assert_eq!(retried.raw, first_answer, "the first request, retried");

    call.press("1").await;
    let before = app.counts().await;
    let action = "https://sampark.test/twilio/voice?turn=1";
    let again = call.request(action, &[("Digits", "1")]).await;
    assert_eq!(again.raw, call.twiml.raw, "a retried action gets the same TwiML");
    assert_eq!(app.counts().await, before, "and nothing new is stored");

    call.hang_up().await;
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["calls"], 1, "a repeated status callback does not count twice");
}

#[tokio::test]
async fn concurrent_duplicates_are_processed_once() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000031", CALLER).await;
    call.press("2").await;
    let url = "https://sampark.test/twilio/voice?turn=2";
    let (a, b) = tokio::join!(call.request(url, &[("Digits", "1")]), call.request(url, &[("Digits", "1")]));
    assert_eq!(a.raw, b.raw);
    assert!(a.spoken().contains("রাজ্যের কোড"), "both got the state question");
    let counts = app.counts().await;
    assert_eq!(counts.events, 3, "start, language, consent: once each");
}

#[tokio::test]
async fn an_out_of_turn_request_repeats_the_current_question() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000032", CALLER).await;
    call.press("1").await;
    let current = call.twiml.raw.clone();
    let events = app.counts().await.events;
    let stale = call.request("https://sampark.test/twilio/voice?turn=7", &[("Digits", "5")]).await;
    assert_eq!(stale.raw, current);
    assert_eq!(app.counts().await.events, events);
}

#[tokio::test]
async fn a_malformed_webhook_gets_a_clear_400_and_loses_nothing() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000033", CALLER).await;
    call.press("1").await;
    call.press("1").await;
    call.press("0").await;
    call.press("10#").await;

    let no_sid: Vec<(String, String)> = vec![("From".into(), CALLER.into())];
    let response = app.post_form("/twilio/voice?turn=4", &no_sid, None).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("CallSid"));

    let bad_digits = call.send("https://sampark.test/twilio/voice?turn=4", &[("Digits", "2'; DROP TABLE cases")]).await;
    assert_eq!(bad_digits.status(), 400);
    assert!(bad_digits.text().await.unwrap().contains("Digits"));

    let not_a_form = app.client.post(format!("{}/twilio/voice", app.address)).body(vec![0xff, 0xfe, b'%']);
    let not_a_form = not_a_form.header("content-type", "application/x-www-form-urlencoded").send().await.unwrap();
    assert!(not_a_form.status().is_client_error());

    // The call carries on where it was, and what it captured is kept.
    let readback = call.press("212#").await;
    assert!(readback.spoken().contains("Patna"));
    call.hang_up().await;
    assert_eq!(app.only_case().await["home_district_code"], 212);
}

#[tokio::test]
async fn a_status_callback_for_an_unknown_call_still_queues_the_caller() {
    let app = spawn_app().await;
    let stranger = Call::resume(&app, "CA00000000000000000000000000000035", CALLER, Twiml::default());
    stranger.hang_up().await;
    let cases = app.cases().await;
    assert_eq!(cases.len(), 1, "one queued case: the caller whose only trace is the status callback");
    assert_eq!(cases[0]["phone"], CALLER);
}

#[tokio::test]
async fn a_withheld_number_is_still_a_case() {
    let app = spawn_app().await;
    let call = Call::start(&app, "CA00000000000000000000000000000036", "+266696687").await;
    call.hang_up().await;
    let other = Call::start(&app, "CA00000000000000000000000000000037", "anonymous").await;
    other.hang_up().await;
    let cases = app.cases().await;
    assert_eq!(cases.len(), 2, "withheld numbers do not fold together");
    assert!(cases.iter().all(|c| c["phone"] == Value::Null));
}

#[tokio::test]
async fn a_call_whose_final_callback_never_comes_is_queued_by_the_sweeper() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000038", CALLER).await;
    call.press("1").await;
    call.press("1").await;
    call.press("0").await;
    call.press("20#").await;
    assert!(app.cases().await.is_empty());
    let idle = Duration::from_secs(600);
    assert_eq!(app.calls.end_idle_calls(idle).await.unwrap(), 0, "not idle yet");
    app.clock.advance(601);
    assert_eq!(app.calls.end_idle_calls(idle).await.unwrap(), 1);
    assert_eq!(app.calls.end_idle_calls(idle).await.unwrap(), 0, "ended once");
    let case = app.only_case().await;
    assert_eq!(case["home_state_code"], 20);
    // The real callback arriving later changes nothing.
    call.hang_up().await;
    assert_eq!(app.only_case().await["calls"], 1);
}

#[tokio::test]
async fn a_recording_that_arrives_after_the_hang_up_is_kept() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000039", CALLER).await;
    for keys in ["1", "1", "0", "10#", "212#", "1", "5"] {
        call.press(keys).await;
    }
    assert!(call.twiml.raw.contains("recordingStatusCallback"));
    call.hang_up().await; // hung up while recording; no Record action came
    assert_eq!(app.only_case().await["recording_url"], Value::Null);
    let extra = [
        ("RecordingStatus", "completed"),
        ("RecordingUrl", "https://api.twilio.com/r/RE9"),
        ("RecordingSid", "RE9"),
        ("RecordingDuration", "31"),
    ];
    let response = call.send("https://sampark.test/twilio/recording", &extra).await;
    assert_eq!(response.status(), 204);
    let case = app.only_case().await;
    assert_eq!(case["recording_url"], "https://api.twilio.com/r/RE9");
    assert_eq!(case["need"], "shelter");
}

#[tokio::test]
async fn when_the_database_fails_the_caller_hears_an_apology_not_an_error() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000040", CALLER).await;
    app.database.execute("DROP TABLE call_events").await;
    let response = call.send("https://sampark.test/twilio/voice?turn=1", &[("Digits", "1")]).await;
    assert_eq!(response.status(), 200);
    let twiml = Twiml::parse(&response.text().await.unwrap());
    assert!(twiml.spoken().contains("तकनीकी समस्या"), "{}", twiml.raw);
    assert!(twiml.hangup);
    call.twiml = twiml;
    assert!(call.twiml.gather.is_none());
}

#[tokio::test]
async fn a_call_keeps_its_flow_version_when_the_flow_changes() {
    let flows = tempfile::TempDir::new().unwrap();
    let original = std::fs::read_to_string(repo_path("call_flows/helpline.toml")).unwrap();
    std::fs::write(flows.path().join("helpline.toml"), &original).unwrap();
    let options = || Options { flows_dir: flows.path().to_owned(), ..Options::default() };
    let app = spawn_app_with(options()).await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000041", CALLER).await;
    call.press("1").await;
    let at_consent = call.twiml.clone();
    let db = app.stop().await;

    // An admin edits the flow: the state question now starts with a welcome.
    let edited = original.replace(r#"prompts = ["ask_state_list"]"#, r#"prompts = ["welcome", "ask_state_list"]"#);
    assert_ne!(edited, original);
    std::fs::write(flows.path().join("helpline.toml"), edited).unwrap();
    let app = spawn_app_with(Options { database: Some(db), ..options() }).await;
    let mut resumed = Call::start(&app, "CA00000000000000000000000000000042", "+911000000002").await;
    resumed.press("1").await;
    assert!(resumed.press("1").await.spoken().contains("स्वागत"), "a new call runs the edited flow");

    let mut call = Call::resume(&app, "CA00000000000000000000000000000041", CALLER, at_consent);
    let next = call.press("1").await;
    let heard = next.spoken();
    assert!(heard.contains("गृह राज्य") && !heard.contains("स्वागत"), "the call in progress keeps its flow: {heard}");
}

#[tokio::test]
async fn the_server_refuses_to_start_on_a_broken_flow() {
    let flows = tempfile::TempDir::new().unwrap();
    std::fs::copy(repo_path("tests/fixtures/flows/dangling_edge.toml"), flows.path().join("helpline.toml")).unwrap();
    let settings = super::helpers::settings(
        &Options { flows_dir: flows.path().to_owned(), ..Options::default() },
        "sqlite::memory:",
    );
    let error = sampark::startup::Application::build(settings).await.err().expect("a broken flow stops the server");
    assert!(format!("{error:#}").contains("refusing to start"), "{error:#}");
}

/// The "Call now" webhooks when the database fails them: the volunteer
/// who answered hears the apology, not Twilio's application error, and
/// status callbacks get 503 so the gateway sends them again. Never a 500.
#[tokio::test]
async fn call_now_webhooks_answer_the_gateway_when_the_database_fails() {
    let options = Options {
        env: vec![
            ("SAMPARK_CALLBACK_GATEWAY", "twilio".to_owned()),
            ("SAMPARK_TWILIO_API_URL", "http://127.0.0.1:9".to_owned()),
            ("SAMPARK_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000".to_owned()),
            ("SAMPARK_TWILIO_CALLER_ID", "+910000000000".to_owned()),
        ],
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    app.database.execute("ALTER TABLE attempts RENAME TO attempts_gone").await;
    let form =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    let sid = "CA99999999999999999999999999999999";

    let bridge = app.post_form("/twilio/bridge?attempt=1", &form(&[("CallSid", sid)]), None).await;
    assert_eq!(bridge.status(), 200);
    let twiml = Twiml::parse(&bridge.text().await.unwrap());
    assert!(twiml.hangup, "an apology, then a hang-up: {}", twiml.raw);
    let status =
        app.post_form("/twilio/bridge-status", &form(&[("CallSid", sid), ("CallStatus", "completed")]), None).await;
    assert_eq!(status.status(), 503);
    let exotel = format!("{}/exotel/{}/bridge-status", app.address, super::helpers::EXOTEL_SECRET);
    let exotel = app.client.post(exotel).form(&[("CallSid", "exotel-call-1"), ("Status", "completed")]).send().await;
    assert_eq!(exotel.unwrap().status(), 503);
}
