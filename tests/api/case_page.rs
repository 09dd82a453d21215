//! The volunteer's case page over HTTP: a withheld number and the outcomes
//! that fit it, the PIN look-up (JSON, and the form without a script), and
//! voice messages a gateway fails to give.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use super::helpers::{ApiSession, Options, TestApp, spawn_app, spawn_app_with};

async fn claim(app: &TestApp, session: &ApiSession) -> Value {
    let response = app.api(session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a case to take");
    response.json().await.unwrap()
}

async fn api_outcome(app: &TestApp, session: &ApiSession, id: i64, body: Value) -> reqwest::Response {
    app.api(session, Method::POST, &format!("/api/v1/cases/{id}/outcome")).json(&body).send().await.unwrap()
}

/// The case page's form posted as a browser without a script posts it
/// (bearer sessions need no CSRF token); redirects are not followed.
async fn post_page(app: &TestApp, session: &ApiSession, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client.post(format!("{}{path}", app.address)).bearer_auth(&session.token).form(form).send().await.unwrap()
}

async fn page(app: &TestApp, session: &ApiSession, path: &str) -> String {
    let response = app.api(session, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_withheld_number_is_shown_as_such_and_takes_only_the_outcomes_that_need_no_call() {
    let app = spawn_app().await;
    app.queue_caller("CAf0000000000000000000000000000001", "anonymous", "1", "9", None).await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let asha = app.api_login("asha").await;
    let case = claim(&app, &asha).await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["outcomes"], json!(["resolved", "follow_up", "cannot_call_back"]), "the API offers the same");

    let html = page(&app, &asha, &format!("/cases/{id}")).await;
    assert!(html.contains("नंबर नहीं · number withheld"), "the number is shown as withheld");
    assert!(html.contains(r#"id="withheld""#), "with what to do instead");
    assert!(!html.contains(r#"id="dial""#) && !html.contains(r#"id="call-now""#), "no call button");
    for missing in ["no_answer", "wrong_number", "call_back"] {
        assert!(!html.contains(&format!(r#"value="{missing}""#)), "{missing} is not offered");
    }
    assert!(html.contains(r#"value="cannot_call_back""#));
    assert!(!html.contains(r#"id="callback_at""#), "no call-back time to give");

    // The server refuses what needs a call, on the API and the page, and keeps what was typed.
    let later = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    for body in [
        json!({"outcome": "no_answer"}),
        json!({"outcome": "wrong_number"}),
        json!({"outcome": "call_back", "callback_at": later}),
    ] {
        let refused = api_outcome(&app, &asha, id, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let why: Value = refused.json().await.unwrap();
        assert!(why["error"].as_str().unwrap().contains("withheld their number"), "{why}");
    }
    let form = [("outcome", "no_answer"), ("notes", "message says: stuck at Surat station")];
    let refused = post_page(&app, &asha, &format!("/cases/{id}/outcome"), &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("withheld their number, and “no_answer” needs a call"), "{html}");
    assert!(html.contains(">message says: stuck at Surat station</textarea>"), "the notes are kept");
    let read: Value =
        app.api(&asha, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!((read["status"].as_str(), read["held"].as_bool()), (Some("queued"), Some(true)), "nothing recorded");
    assert_eq!(read["history"]["attempts"], json!([]));

    // "Cannot call back" closes it, recorded like any outcome.
    let form = [("outcome", "cannot_call_back"), ("notes", "no number; referred nothing")];
    let done = post_page(&app, &asha, &format!("/cases/{id}/outcome"), &form).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/?m=cannot_call_back");
    assert!(page(&app, &asha, "/?m=cannot_call_back").await.contains("Recorded: cannot call back"));
    let case = app.only_case().await;
    assert_eq!(case["status"], "cannot_call_back");
    let closed = app.database.scalar("SELECT count(*) FROM cases WHERE closed_at IS NOT NULL").await;
    assert_eq!(closed, 1, "closed");
    let attempts = app.database.pairs("SELECT outcome, notes FROM attempts").await;
    assert_eq!(attempts, [("cannot_call_back".to_owned(), "no number; referred nothing".to_owned())]);
}

#[tokio::test]
async fn cannot_call_back_is_offered_beside_every_outcome_when_there_is_a_number() {
    let app = spawn_app().await;
    app.queue_caller("CAf0000000000000000000000000000002", "+911000000401", "1", "9", None).await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let asha = app.api_login("asha").await;
    let id = claim(&app, &asha).await["id"].as_i64().unwrap();
    let html = page(&app, &asha, &format!("/cases/{id}")).await;
    for kind in ["resolved", "follow_up", "no_answer", "wrong_number", "call_back", "cannot_call_back"] {
        assert!(html.contains(&format!(r#"value="{kind}""#)), "{kind} is offered");
    }
    assert!(html.contains(r#"id="dial""#), "a number to dial");
    let done = api_outcome(&app, &asha, id, json!({"outcome": "cannot_call_back", "notes": "out of service"})).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(app.only_case().await["status"], "cannot_call_back", "closed without five no-answers");
}

#[tokio::test]
async fn the_pin_look_up_answers_signed_in_users_with_offices_and_district_or_a_reason() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let asha = app.api_login("asha").await;
    let found = app.api(&asha, Method::GET, "/api/v1/pins/110001").send().await.unwrap();
    assert_eq!(found.status(), StatusCode::OK);
    let found: Value = found.json().await.unwrap();
    assert!(found["offices"].as_array().unwrap().contains(&json!("New Delhi GPO")), "{found}");
    assert_eq!((found["state_code"].as_i64(), found["district_code"].as_i64()), (Some(7), Some(79)));
    assert!(found["district_name"].is_string() && found["state_name"].is_string(), "{found}");

    let unknown = app.api(&asha, Method::GET, "/api/v1/pins/000000").send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let why: Value = unknown.json().await.unwrap();
    assert!(why["error"].as_str().unwrap().contains("No post office has PIN code 000000"), "{why}");
    let short = app.api(&asha, Method::GET, "/api/v1/pins/1100").send().await.unwrap();
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let why: Value = short.json().await.unwrap();
    assert!(why["error"].as_str().unwrap().contains("six digits"), "{why}");

    let anonymous = app.client.get(format!("{}/api/v1/pins/110001", app.address)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "signed-in users only");

    // The page's script that asks it: Sampark's own, the only kind the pages may run.
    let script = app.client.get(format!("{}/desk.js", app.address)).send().await.unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let csp = script.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(script.text().await.unwrap().contains("/api/v1/pins/"));
}

#[tokio::test]
async fn without_a_script_the_pin_look_up_shows_the_page_again_with_what_was_typed() {
    let app = spawn_app().await;
    app.queue_caller("CAf0000000000000000000000000000003", "+911000000402", "1", "9", None).await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let asha = app.api_login("asha").await;
    let id = claim(&app, &asha).await["id"].as_i64().unwrap();
    let path = format!("/cases/{id}/pin");
    let typed = [
        ("outcome", "follow_up"),
        ("referred_to", "Labour helpline, Delhi"),
        ("notes", "twelve workers, no wages for 2 months"),
        ("worker_name", "Ramesh"),
        ("pin_code", "110001"),
    ];
    let looked_up = post_page(&app, &asha, &path, &typed).await;
    assert_eq!(looked_up.status(), StatusCode::OK);
    let html = looked_up.text().await.unwrap();
    assert!(html.contains(r#"<select id="post_office""#) && html.contains(">New Delhi GPO</option>"), "offices");
    assert!(html.contains(r#"id="pin-result""#) && html.contains("District: "), "the district shows");
    assert!(html.contains(">twelve workers, no wages for 2 months</textarea>"), "notes kept");
    assert!(html.contains(r#"value="Labour helpline, Delhi""#) && html.contains(r#"value="Ramesh""#), "fields kept");
    assert!(html.contains(r#"value="follow_up" id="outcome-follow-up" required checked"#), "the choice kept");
    assert!(html.contains(r#"<details id="about-worker" open>"#), "the worker's details stay open");

    let linked = page(&app, &asha, &format!("/cases/{id}?pin=110001")).await;
    assert!(linked.contains(">New Delhi GPO</option>"), "a link with ?pin= still looks it up");

    let bad = [("notes", "kept too"), ("pin_code", "99999")];
    let html = post_page(&app, &asha, &path, &bad).await.text().await.unwrap();
    assert!(html.contains("A PIN code has six digits"), "a bad PIN says why");
    assert!(html.contains(">kept too</textarea>"));
    let unknown = [("pin_code", "000000")];
    let html = post_page(&app, &asha, &path, &unknown).await.text().await.unwrap();
    assert!(html.contains("No post office has PIN code 000000"));
    let read: Value =
        app.api(&asha, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["notes"]["worker_name"], Value::Null, "a look-up saves nothing");
}

/// A stand-in for a gateway's media host that fails as real ones do, by
/// path: `/missing.wav` 404, `/closed.wav` closes without answering,
/// `/cut.wav` breaks off halfway through the audio, `/page.wav` answers
/// with a web page, `/stalled.wav` never answers, `/fine.wav` is audio.
pub async fn failing_media_host() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let wav = super::helpers::wav_bytes(200);
                let reply: Vec<u8> = match path.as_str() {
                    "/missing.wav" => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
                    "/closed.wav" => return,
                    "/cut.wav" => {
                        let mut reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: audio/x-wav\r\nContent-Length: {}\r\n\r\n",
                            wav.len()
                        )
                        .into_bytes();
                        reply.extend_from_slice(&wav[..wav.len() / 3]);
                        reply
                    }
                    "/page.wav" => {
                        let page = "<html>please sign in</html>";
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
                            page.len()
                        )
                        .into_bytes()
                    }
                    "/stalled.wav" => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    _ => {
                        let mut reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: audio/x-wav\r\nContent-Length: {}\r\n\r\n",
                            wav.len()
                        )
                        .into_bytes();
                        reply.extend_from_slice(&wav);
                        reply
                    }
                };
                let _ = socket.write_all(&reply).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    address
}

/// Settings that make `host` one of Twilio's recording hosts, allowed on
/// a loopback address (the escape hatch for stand-ins).
pub fn recordings_at(host: &str) -> Options {
    Options {
        env: vec![
            ("SAMPARK_TWILIO_RECORDING_HOSTS", host.to_owned()),
            ("SAMPARK_RECORDING_PRIVATE_HOSTS", "127.0.0.1".to_owned()),
        ],
        ..Options::default()
    }
}

/// A Twilio caller (Uttar Pradesh, Hindi) who leaves a voice message at `url`.
pub async fn caller_with_message(app: &TestApp, n: u32, url: &str) {
    let mut call = super::twilio_sim::Call::start(app, &format!("CAf1{n:030}"), &format!("+9110000004{n:02}")).await;
    for keys in ["1", "1", "0", "9#", "187#", "1", "4"] {
        call.press(keys).await;
    }
    call.leave_message(url).await;
    call.hang_up().await;
}

#[tokio::test]
async fn a_voice_message_the_gateway_fails_to_give_answers_with_a_status_and_the_reason() {
    let host = failing_media_host().await;
    let app = spawn_app_with(recordings_at(&host)).await;
    let cases = [
        ("missing", StatusCode::BAD_GATEWAY, "the gateway has no such voice message (HTTP 404)"),
        ("closed", StatusCode::BAD_GATEWAY, "could not be reached, or closed the connection"),
        ("cut", StatusCode::BAD_GATEWAY, "broke off before the whole voice message had arrived"),
        ("page", StatusCode::BAD_GATEWAY, "the gateway sent `text/html`, not audio"),
        ("stalled", StatusCode::GATEWAY_TIMEOUT, "did not answer within 10 seconds"),
        ("fine", StatusCode::OK, ""),
    ];
    for (n, (name, _, _)) in cases.iter().enumerate() {
        caller_with_message(&app, u32::try_from(n).unwrap() + 1, &format!("{host}/{name}.wav")).await;
    }
    app.add_user("boss", "admin", "", "", "").await;
    let boss = app.api_login("boss").await;
    let plays = cases.iter().enumerate().map(|(n, _)| {
        let id = i64::try_from(n).unwrap() + 1;
        app.api(&boss, Method::GET, &format!("/cases/{id}/recording")).send()
    });
    let answers = futures::future::join_all(plays).await;
    for ((name, status, why), answer) in cases.iter().zip(answers) {
        let answer = answer.unwrap();
        assert_eq!(answer.status(), *status, "{name}");
        let content_type = answer.headers()["content-type"].to_str().unwrap().to_owned();
        let body = answer.bytes().await.unwrap();
        if *status == StatusCode::OK {
            assert!(body.starts_with(b"RIFF") && content_type == "audio/x-wav", "{name}: a good one still plays");
        } else {
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert!(content_type.starts_with("text/plain"), "{name}: {content_type}");
            assert!(text.starts_with("आवाज़ संदेश नहीं मिला · The voice message could not be fetched: "), "{text}");
            assert!(text.contains(why), "{name}: {text}");
        }
    }
    let html = page(&app, &boss, "/cases/1").await;
    assert!(html.contains(r#"<audio id="voice-message""#), "a player, which may fail when played");
    assert!(html.contains(r#"id="voice-message-error" role="alert" hidden"#), "with its message ready");
    assert!(html.contains(r#"href="/cases/1/recording""#), "and a link that shows why without a script");
}

#[tokio::test]
async fn a_voice_message_sampark_may_not_fetch_says_so_on_the_page_instead_of_a_player() {
    let host = failing_media_host().await;
    let app = spawn_app_with(recordings_at(&host)).await;
    caller_with_message(&app, 1, "https://recordings.example/rec-1.wav").await;
    app.add_user("boss", "admin", "", "", "").await;
    let boss = app.api_login("boss").await;
    let html = page(&app, &boss, "/cases/1").await;
    assert!(!html.contains("<audio"), "no player for a message that will not be fetched");
    assert!(
        html.contains("The voice message cannot be fetched: `recordings.example` is not one of twilio's"),
        "{html}"
    );
    let refused = app.api(&boss, Method::GET, "/cases/1/recording").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
    assert!(refused.text().await.unwrap().contains("was not fetched: `recordings.example` is not one of"));
    assert!(app.audit.latest(10).await.unwrap().iter().all(|e| e.action != "play_recording"), "nothing played");
}
