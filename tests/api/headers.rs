//! Answers and headers: every XML dialect says it is UTF-8 (also when an
//! old reply is replayed from the database), pages may not be framed or
//! sniffed, and what shows a caller's number is never cached.

use reqwest::{Method, Response};

use super::helpers::{EXOTEL_SECRET, KOOKOO_SECRET, PLIVO_TOKEN, PUBLIC_URL, TestApp, spawn_app};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).map_or("", |v| v.to_str().unwrap())
}

fn twilio_first() -> Vec<(String, String)> {
    pairs(&[("CallSid", "CA00000000000000000000000000000900"), ("From", "+911000000090"), ("CallStatus", "ringing")])
}

async fn plivo_first(app: &TestApp) -> Response {
    let params = pairs(&[
        ("CallUUID", "00000000-0000-0000-0000-000000000901"),
        ("From", "911000000091"),
        ("To", "918000000002"),
        ("Event", "StartApp"),
        ("CallStatus", "ringing"),
    ]);
    let public = format!("{PUBLIC_URL}/plivo/voice");
    let signature = sampark::gateway::plivo::sign_v3(PLIVO_TOKEN, "POST", &public, &params, "nonce-901");
    app.client
        .post(format!("{}/plivo/voice", app.address))
        .form(&params)
        .header("X-Plivo-Signature-V3", signature)
        .header("X-Plivo-Signature-V3-Nonce", "nonce-901")
        .send()
        .await
        .unwrap()
}

async fn kookoo_first(app: &TestApp) -> Response {
    let params = [("sid", "kookoo-call-902"), ("cid", "01000000092"), ("event", "NewCall")];
    app.client.get(format!("{}/kookoo/{KOOKOO_SECRET}", app.address)).query(&params).send().await.unwrap()
}

#[tokio::test]
async fn every_xml_dialect_answers_with_a_utf8_charset() {
    let app = spawn_app().await;
    let twilio = app.post_form("/twilio/voice", &twilio_first(), None).await;
    let plivo = plivo_first(&app).await;
    let kookoo = kookoo_first(&app).await;
    for (dialect, response) in [("Twilio", twilio), ("Plivo", plivo), ("KooKoo", kookoo)] {
        assert_eq!(response.status(), 200, "{dialect}");
        assert_eq!(header(&response, "content-type"), "text/xml; charset=utf-8", "{dialect}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<Response") || body.contains("<response"), "{dialect}: {body}");
    }
    // Exotel answers JSON (UTF-8 by definition) and, for greetings, text.
    let exotel = [("CallSid", "exotel-call-903"), ("CallFrom", "01000000093")];
    let gather = app.client.get(format!("{}/exotel/{EXOTEL_SECRET}/gather", app.address)).query(&exotel);
    let gather = gather.send().await.unwrap();
    assert_eq!(header(&gather, "content-type"), "application/json");
}

#[tokio::test]
async fn a_reply_stored_without_a_charset_is_replayed_with_one() {
    let app = spawn_app().await;
    let first = app.post_form("/twilio/voice", &twilio_first(), None).await;
    let body = first.text().await.unwrap();
    // A row written before the charset was sent.
    app.database.execute("UPDATE call_events SET reply_content_type = 'text/xml'").await;
    let retry = app.post_form("/twilio/voice", &twilio_first(), None).await;
    assert_eq!(header(&retry, "content-type"), "text/xml; charset=utf-8");
    assert_eq!(retry.text().await.unwrap(), body, "the stored reply, replayed");
    assert_eq!(app.counts().await.events, 1, "a retry records nothing new");
}

fn assert_page_headers(response: &Response, what: &str) {
    let csp = header(response, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP `{csp}`");
    assert_eq!(header(response, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(response, "referrer-policy"), "same-origin", "{what}");
}

#[tokio::test]
async fn pages_and_the_api_may_not_be_framed_or_sniffed() {
    let app = spawn_app().await;
    let login = app.client.get(format!("{}/login", app.address)).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert_page_headers(&login, "the sign-in page");
    let health = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_page_headers(&health, "health");
    let missing = app.client.get(format!("{}/no/such/page", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_page_headers(&missing, "a 404");
}

#[tokio::test]
async fn a_case_showing_the_callers_number_is_never_cached() {
    let app = spawn_app().await;
    app.queue_caller("CA00000000000000000000000000000904", "+911000000094", "1", "9", None).await;
    app.add_user("nocache", "volunteer", "9", "hi", "").await;
    let session = app.api_login("nocache").await;
    let claim = app.api(&session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(claim.status(), 200);
    assert_eq!(header(&claim, "cache-control"), "no-store", "the claim answer holds the number");
    assert_page_headers(&claim, "the API");
    let case: serde_json::Value = claim.json().await.unwrap();
    assert_eq!(case["phone"], "+911000000094");

    let id = case["id"].as_i64().unwrap();
    let cookie = format!("sampark_session={}", session.token);
    let page = app.client.get(format!("{}/cases/{id}", app.address)).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_page_headers(&page, "the case page");
    assert!(page.text().await.unwrap().contains("+911000000094"), "the page shows the number");

    let api_case = app.api(&session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap();
    assert_eq!(header(&api_case, "cache-control"), "no-store");
}
