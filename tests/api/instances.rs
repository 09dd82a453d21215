//! Several `sampark serve` instances on one database, as behind a load
//! balancer: a call's webhooks land on either, and claims race across them.

use std::{collections::HashSet, sync::Arc};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{
    dialects::{Dialect, Phone},
    helpers::{Options, TestDatabase, spawn_app_with},
};

#[tokio::test]
async fn two_instances_share_a_calls_webhooks_and_never_hand_out_a_case_twice() {
    let database = Arc::new(TestDatabase::fresh().await);
    let one = spawn_app_with(Options { database: Some(database.clone()), ..Options::default() }).await;
    let two = spawn_app_with(Options { database: Some(database.clone()), ..Options::default() }).await;

    // A call whose webhooks alternate between the instances.
    let mut call = super::twilio_sim::Call::start(&one, "CA0b000000000000000000000000000001", "+911000000181").await;
    let script = [("2", &two), ("1", &one), ("0", &two), ("19#", &one), ("305#", &two), ("1", &one), ("4", &two)];
    for (keys, instance) in script {
        let mut there = super::twilio_sim::Call::resume(instance, &call.sid, "+911000000181", call.twiml.clone());
        there.press(keys).await;
        call.twiml = there.twiml.clone();
    }
    assert!(call.twiml.record_action.is_some(), "the flow went on across instances");
    let mut there = super::twilio_sim::Call::resume(&two, &call.sid, "+911000000181", call.twiml.clone());
    there.leave_message("https://recordings.example/r.wav").await;
    there.hang_up().await;
    let case = one.only_case().await;
    assert_eq!((case["language"].as_str(), case["home_district_code"].as_i64()), (Some("bn"), Some(305)));
    assert_eq!(case["need"], "medical");

    // A retry that lands on the other instance gets the same answer.
    let mut phone = Phone::dial(&one, Dialect::Twilio, "CA0b000000000000000000000000000002", "1000000182").await;
    phone.press("1").await;
    let (_, body, _, _) = phone.retry_last().await;
    let mut elsewhere = super::twilio_sim::Call::resume(
        &two,
        "CA0b000000000000000000000000000002",
        "+911000000182",
        Default::default(),
    );
    let replayed = elsewhere.request("https://sampark.test/twilio/voice?turn=1", &[("Digits", "1")]).await;
    assert_eq!(replayed.raw, body);
    elsewhere.twiml = replayed;
    elsewhere.hang_up().await;

    // Ten more callers, then twenty volunteers claiming through both instances at once.
    for n in 0..10 {
        one.queue_caller(&format!("CA0c{n:030}"), &format!("+9110000002{n:02}"), "1", "9", None).await;
    }
    let mut sessions = Vec::new();
    for n in 0..20 {
        let name = format!("racer{n:02}");
        one.add_user(&name, "volunteer", "9,10,19", "hi,bn", "").await;
        let instance = if n % 2 == 0 { &one } else { &two };
        sessions.push((instance, instance.api_login(&name).await));
    }
    let claims = futures::future::join_all(sessions.iter().map(|(instance, session)| async move {
        let response = instance.api(session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
        match response.status() {
            StatusCode::OK => Some(response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()),
            StatusCode::NO_CONTENT => None,
            other => panic!("claim answered {other}"),
        }
    }))
    .await;
    let taken: Vec<i64> = claims.iter().flatten().copied().collect();
    assert_eq!(taken.len(), 12, "every waiting case is taken: the ten, the two earlier callers");
    assert_eq!(taken.iter().collect::<HashSet<_>>().len(), 12, "never twice");
}
