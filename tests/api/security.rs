//! Signatures: with a token set, nothing unsigned or forged gets in.

use super::{
    helpers::{Options, spawn_app, spawn_app_with},
    twilio_sim::Call,
};

fn first_request() -> Vec<(String, String)> {
    [("CallSid", "CA00000000000000000000000000000020"), ("From", "+911000000001"), ("CallStatus", "ringing")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_forged_signature_gets_403_and_stores_nothing() {
    let app = spawn_app().await;
    let forged = app.post_form("/twilio/voice", &first_request(), Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")).await;
    assert_eq!(forged.status(), 403);
    let counts = app.counts().await;
    assert_eq!((counts.calls, counts.events, counts.cases), (0, 0, 0));
}

#[tokio::test]
async fn a_missing_signature_gets_403_and_stores_nothing() {
    let app = spawn_app().await;
    for path in ["/twilio/voice", "/twilio/status", "/twilio/recording"] {
        let unsigned = app.post_form(path, &first_request(), Some("")).await;
        assert_eq!(unsigned.status(), 403, "{path}");
    }
    assert_eq!(app.counts().await.events, 0);
}

#[tokio::test]
async fn a_signature_for_other_parameters_or_another_url_is_rejected() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000021", "+911000000001").await;
    call.press("1").await;
    let events = app.counts().await.events;
    // Signed for Digits=1, sent with Digits=2.
    let signed_for = call.params(&[("Digits", "1")]);
    let signature =
        sampark::gateway::twilio::sign(super::helpers::TOKEN, "https://sampark.test/twilio/voice?turn=2", &signed_for);
    let tampered = app.post_form("/twilio/voice?turn=2", &call.params(&[("Digits", "2")]), Some(&signature)).await;
    assert_eq!(tampered.status(), 403);
    // Signed for turn 2, sent to turn 3.
    let moved = app.post_form("/twilio/voice?turn=3", &signed_for, Some(&signature)).await;
    assert_eq!(moved.status(), 403);
    assert_eq!(app.counts().await.events, events, "nothing recorded");
}

#[tokio::test]
async fn without_a_token_requests_are_accepted_unsigned() {
    let app = spawn_app_with(Options { token: None, ..Options::default() }).await;
    let response = app.post_form("/twilio/voice", &first_request(), Some("")).await;
    assert_eq!(response.status(), 200);
}

/// "Call now" is only placed with a Twilio token, so without one its
/// webhooks cannot be genuine: both are 404, and nothing unsigned reaches
/// the attempts (the status callback used to record whatever it was sent).
#[tokio::test]
async fn without_a_token_the_call_now_webhooks_do_not_exist() {
    let app = spawn_app_with(Options { token: None, ..Options::default() }).await;
    let status = [("CallSid", "CA99999999999999999999999999999999"), ("CallStatus", "completed")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<Vec<_>>();
    assert_eq!(app.post_form("/twilio/bridge-status?attempt=1", &status, Some("")).await.status(), 404);
    assert_eq!(app.post_form("/twilio/bridge?attempt=1", &status, Some("")).await.status(), 404);
}
