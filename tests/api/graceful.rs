//! Stopping the server (SIGTERM, as systemd and a deploy do): the calls in
//! progress are answered to their end before it stops, so no caller hears
//! an error mid-call, and each is queued. What must not be lost: the call
//! in progress and what its caller gave.

use std::{process::Command, time::Duration};

use super::{
    helpers::{Options, free_port, serve_binary, spawn_app_with, wait_up},
    twilio_sim::Call,
};

fn grace(secs: &str) -> (&'static str, String) {
    ("SAMPARK_STOP_GRACE_SECS", secs.to_owned())
}

#[tokio::test]
async fn a_stop_answers_the_call_in_progress_to_its_end_then_stops() {
    // Arrange: a caller half-way through the call.
    let options = Options { env: vec![grace("60")], ..Options::default() };
    let app = spawn_app_with(options).await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000901", "+911000000901").await;
    call.press("2").await;
    call.press("1").await;

    // Act: the server is asked to stop.
    app.ask_to_stop();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Assert: it is not ready for new calls, but this one goes on to its end.
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 503, "a load balancer sends new calls elsewhere");
    assert!(!app.has_stopped(), "a call is in progress");
    for keys in ["0", "19#", "305#", "1", "2"] {
        call.press(keys).await;
    }
    call.silence().await;
    call.hang_up().await;
    for _ in 0..100 {
        if app.has_stopped() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.has_stopped(), "with no call in progress the server stops, well before its grace");
    let case = app.only_case().await;
    assert_eq!(case["home_district_code"], 305, "{case}");
    assert_eq!(case["status"], "queued", "{case}");
}

#[tokio::test]
async fn a_stop_with_no_call_in_progress_is_at_once() {
    let options = Options { env: vec![grace("600")], ..Options::default() };
    let app = spawn_app_with(options).await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000902", "+911000000902").await;
    call.press("2").await;
    call.hang_up().await;
    app.ask_to_stop();
    for _ in 0..100 {
        if app.has_stopped() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.has_stopped(), "an ended call is not waited for");
    assert_eq!(app.cases().await.len(), 1, "the caller who hung up is queued");
}

/// The real binary, stopped by SIGTERM: it exits cleanly; a second signal
/// stops it at once even with a call in progress.
#[tokio::test]
async fn sigterm_stops_the_binary_cleanly_and_a_second_one_at_once() {
    let work = tempfile::TempDir::new().unwrap();
    let port = free_port();
    let env = [("SAMPARK_DATA_DIR", work.path().join("data").display().to_string()), grace("600")];
    let mut server = serve_binary(work.path(), port, &env);
    wait_up(port).await;
    let (base, client) = (format!("http://127.0.0.1:{port}"), reqwest::Client::new());
    // A call begins (no token set: unsigned requests are taken).
    let first = client
        .post(format!("{base}/twilio/voice"))
        .form(&[("CallSid", "CA00000000000000000000000000000903"), ("From", "+911000000903")])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);

    let pid = server.id().to_string();
    let term = || {
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
    };
    term();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.try_wait().unwrap().is_none(), "the call in progress holds the stop");
    let next = client
        .post(format!("{base}/twilio/voice?turn=1"))
        .form(&[("CallSid", "CA00000000000000000000000000000903"), ("From", "+911000000903"), ("Digits", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200, "the call's next webhook is answered while stopping");
    term();
    let mut status = None;
    for _ in 0..100 {
        status = server.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = server.kill();
        panic!("the second SIGTERM did not stop the server")
    });
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{log}");
    assert!(log.contains("finishing the calls in progress first"), "{log}");
    assert!(log.contains("Sampark stopped"), "{log}");
}
