//! Another number to call back on, and repeat callers who keep what they
//! gave, through every gateway: a number keyed after the voice message is
//! read back digit by digit, confirmed, shown to the volunteer above the
//! caller's own and dialled first; a wrong one is asked again, `*` goes
//! back; a repeat call never loses an answer, and one given differently is
//! kept beside the earlier one with its call. (Callers are `+91 1000…`
//! numbers, in no real series; the keyed callback numbers must look like
//! Indian mobiles, 6–9 first, so they are in the series `6000`, which no
//! telecom circle holds in `data/numbering/`.)

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{
    dialects::{ALL, Dialect, Phone},
    gateways::sid,
    helpers::{ApiSession, Options, TestApp, fake_gateway, spawn_app, spawn_app_with},
};

const MOBILE: &str = "1000000081";
const OWN: &str = "+911000000081";

/// The Hindi words the read-back says for each digit (`digit_0` … `digit_9`).
const DIGITS_HI: [&str; 10] = ["शून्य", "एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ"];

/// Language, consent, Bihar by code, Patna by code, confirmed, food, a
/// voice message: then the question of another number.
async fn up_to_the_other_number(phone: &mut Phone<'_>) {
    for keys in ["1", "1", "0", "10#", "212#", "1", "1"] {
        phone.press(keys).await;
    }
    let asked = phone.leave_message("https://recordings.example/rec-81.wav").await.clone();
    assert!(asked.text.contains("दूसरे नंबर पर फ़ोन चाहिए तो 1 दबाएँ"), "{:?}: {asked:?}", phone.dialect);
    assert!(!asked.ended, "{:?}: not hung up after the message", phone.dialect);
}

/// Whether `text` says `number` digit by digit, in order, after the
/// read-back's lead.
fn reads_back(text: &str, number: &str) -> bool {
    let Some(mut at) = text.find("आपने यह नंबर दबाया") else { return false };
    for digit in number.chars() {
        let word = DIGITS_HI[digit.to_digit(10).unwrap() as usize];
        match text[at..].find(word) {
            Some(i) => at += i + word.len(),
            None => return false,
        }
    }
    true
}

/// The case's (callback number, own number), straight from the database.
async fn numbers(app: &TestApp) -> Vec<(String, String)> {
    app.database.pairs("SELECT coalesce(callback_phone, '-'), coalesce(phone, '-') FROM cases ORDER BY id").await
}

fn twilio_bridge(gateway: &str) -> Options {
    Options {
        env: vec![
            ("SAMPARK_CALLBACK_GATEWAY", "twilio".to_owned()),
            ("SAMPARK_TWILIO_API_URL", gateway.to_owned()),
            ("SAMPARK_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000".to_owned()),
            ("SAMPARK_TWILIO_CALLER_ID", "+910000000000".to_owned()),
        ],
        ..Options::default()
    }
}

async fn claim(app: &TestApp, session: &ApiSession) -> Value {
    let response = app.api(session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn case_json(app: &TestApp, session: &ApiSession, id: i64) -> Value {
    app.api(session, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap()
}

async fn case_page(app: &TestApp, session: &ApiSession, id: i64) -> String {
    let cookie = format!("sampark_session={}", session.token);
    app.client
        .get(format!("{}/cases/{id}", app.address))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// "Call now" (`own`: the button for the caller's own number); the number
/// the bridge TwiML Twilio fetches then dials.
async fn call_now(
    app: &TestApp,
    session: &ApiSession,
    fake: &super::helpers::FakeGateway,
    id: i64,
    own: bool,
) -> String {
    let cookie = format!("sampark_session={}", session.token);
    let mut form = vec![("csrf", session.csrf.clone())];
    if own {
        form.push(("own", "1".to_owned()));
    }
    let response =
        app.client.post(format!("{}/cases/{id}/call", app.address)).header("Cookie", &cookie).form(&form).send().await;
    let status = response.unwrap().status();
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let requests = fake.requests.lock().await.clone();
    let (_, _, sent) = requests.last().expect("Twilio's Calls API was called");
    let url = sent.iter().find(|(k, _)| k == "Url").map(|(_, v)| v.clone()).unwrap();
    assert!(!url.contains("6000000071") && !url.contains("1000000081"), "no number in the URL: {url}");
    let path = url.strip_prefix("https://sampark.test").unwrap();
    let twilio_form: Vec<(String, String)> = vec![("CallSid".into(), "CA99999999999999999999999999999999".into())];
    let twiml = app.post_form(path, &twilio_form, None).await.text().await.unwrap();
    let number = twiml.split("<Number>").nth(1).and_then(|rest| rest.split("</Number>").next());
    number.unwrap_or_else(|| panic!("a number dialled: {twiml}")).to_owned()
}

async fn another_number_is_read_back_confirmed_shown_first_and_dialled_first(dialect: Dialect) {
    let (gateway, fake) = fake_gateway().await;
    let app = spawn_app_with(twilio_bridge(&gateway)).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 81), MOBILE).await;
    up_to_the_other_number(&mut phone).await;
    let ask = phone.press("1").await.clone();
    assert!(ask.text.contains("दस अंक दबाएँ"), "{dialect:?}: {ask:?}");
    let readback = phone.press("6000000071").await.clone();
    assert!(reads_back(&readback.text, "6000000071"), "{dialect:?}: digit by digit: {:?}", readback.text);
    assert!(readback.text.contains("अगर यह सही है तो 1 दबाएँ"), "{dialect:?}: {readback:?}");
    let thanks = phone.press("1").await.clone();
    assert!(thanks.text.contains("धन्यवाद") && thanks.ended, "{dialect:?}: {thanks:?}");
    phone.hang_up().await;
    assert_eq!(numbers(&app).await, [("+916000000071".to_owned(), OWN.to_owned())], "{dialect:?}");
    assert_eq!(app.only_case().await["callback_phone"], "+916000000071", "{dialect:?}: in the export too");

    app.add_user("bihar", "volunteer", "10", "hi", "+911000000999").await;
    let session = app.api_login("bihar").await;
    let case = claim(&app, &session).await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!((case["callback_phone"].as_str(), case["phone"].as_str()), (Some("+916000000071"), Some(OWN)));
    assert_eq!(case["callback_phone_masked"], "+91*******071", "{dialect:?}");
    let page = case_page(&app, &session, id).await;
    let callback = page.find(r#"id="callback-phone""#).unwrap_or_else(|| panic!("{dialect:?}: shown: {page}"));
    let own = page.find(r#"id="phone""#).unwrap();
    assert!(callback < own, "{dialect:?}: the callback number first, above the caller's own");
    assert!(page.contains("वापस कॉल का नंबर · Call back on") && page.contains("Caller's own number"), "labelled");
    assert!(page[callback..own].contains("+916000000071"), "{dialect:?}: in full for the holder");
    assert_eq!(call_now(&app, &session, &fake, id, false).await, "+916000000071", "{dialect:?}: dialled first");
    assert_eq!(call_now(&app, &session, &fake, id, true).await, OWN, "{dialect:?}: the own number on request");

    // Someone who does not hold the case sees it masked, everywhere.
    app.add_user("other", "volunteer", "10", "hi", "").await;
    let other = app.api_login("other").await;
    let seen = case_json(&app, &other, id).await;
    assert_eq!(
        (seen["callback_phone"].clone(), seen["callback_phone_masked"].clone()),
        (Value::Null, "+91*******071".into())
    );
    assert!(!seen.to_string().contains("6000000071"), "{dialect:?}: {seen}");
    assert!(!case_page(&app, &other, id).await.contains("6000000071"), "{dialect:?}: the page masks it");
}

#[tokio::test]
async fn another_number_is_read_back_confirmed_shown_first_and_dialled_first_on_every_gateway() {
    for dialect in ALL {
        another_number_is_read_back_confirmed_shown_first_and_dialled_first(dialect).await;
    }
}

async fn a_wrong_number_is_asked_again_and_star_goes_back(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 82), MOBILE).await;
    up_to_the_other_number(&mut phone).await;
    phone.press("1").await;
    let wrong = phone.press("5000000001").await.clone();
    assert!(wrong.text.contains("दस अंकों का मोबाइल नंबर नहीं"), "{dialect:?}: {wrong:?}");
    assert!(wrong.text.contains("दस अंक दबाएँ") && !wrong.ended, "{dialect:?}: asked again: {wrong:?}");
    let back = phone.press("*#").await.clone();
    assert!(back.text.contains("दूसरे नंबर पर फ़ोन चाहिए"), "{dialect:?}: * goes back: {back:?}");
    phone.press("1").await;
    let first = phone.press("6000000072").await.clone();
    assert!(reads_back(&first.text, "6000000072"), "{dialect:?}: {first:?}");
    let again = phone.press("2").await.clone();
    assert!(again.text.contains("दस अंक दबाएँ"), "{dialect:?}: 2 keys it again: {again:?}");
    assert!(reads_back(&phone.press("6000000073").await.text.clone(), "6000000073"), "{dialect:?}");
    phone.press("1").await;
    phone.hang_up().await;
    assert_eq!(numbers(&app).await, [("+916000000073".to_owned(), OWN.to_owned())], "{dialect:?}: as confirmed");

    // Wrong twice: the thanks, and the call's own number is the one kept.
    let mut twice = Phone::dial(&app, dialect, &sid(dialect, 83), "1000000083").await;
    up_to_the_other_number(&mut twice).await;
    twice.press("1").await;
    twice.press("5000000001").await;
    let thanks = twice.press("12345#").await.clone();
    assert!(thanks.text.contains("धन्यवाद") && thanks.ended, "{dialect:?}: {thanks:?}");
    twice.hang_up().await;
    let kept = numbers(&app).await;
    assert_eq!(kept[1], ("-".to_owned(), "+911000000083".to_owned()), "{dialect:?}: {kept:?}");
}

#[tokio::test]
async fn a_wrong_number_is_asked_again_and_star_goes_back_on_every_gateway() {
    for dialect in ALL {
        a_wrong_number_is_asked_again_and_star_goes_back(dialect).await;
    }
}

/// A first call that gives Bihar, Patna, food and a callback number.
async fn first_call(app: &TestApp, dialect: Dialect) {
    let mut phone = Phone::dial(app, dialect, &sid(dialect, 84), MOBILE).await;
    up_to_the_other_number(&mut phone).await;
    phone.press("1").await;
    phone.press("6000000071").await;
    phone.press("1").await;
    phone.hang_up().await;
}

/// A repeat call that keys the state (and the district, if any), then
/// hangs up at the need question.
async fn repeat_call(app: &TestApp, dialect: Dialect, n: u32, state: &str, district: Option<&str>) {
    let mut phone = Phone::dial(app, dialect, &sid(dialect, n), MOBILE).await;
    for keys in ["1", "1", "0", state] {
        phone.press(keys).await;
    }
    match district {
        Some(district) => {
            phone.press(district).await;
            phone.press("1").await;
        }
        None => {
            // Nothing at the district code (three asks), nothing at the
            // names (two), nothing said after the beep.
            for _ in 0..3 + 2 + 1 {
                phone.silence().await;
            }
        }
    }
    assert!(phone.heard.text.contains("क्या मदद चाहिए"), "{dialect:?}: at the need: {:?}", phone.heard);
    phone.hang_up().await;
}

async fn a_repeat_call_keeps_what_the_first_gave(dialect: Dialect) {
    let app = spawn_app().await;
    first_call(&app, dialect).await;
    repeat_call(&app, dialect, 85, "10#", None).await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(10), Some(212)));
    assert_eq!((case["need"].as_str(), case["calls"].as_i64()), (Some("food"), Some(2)), "{dialect:?}");
    assert_eq!(numbers(&app).await[0].0, "+916000000071", "{dialect:?}: the callback number is kept");
    app.add_user("bihar", "volunteer", "10", "hi", "").await;
    let session = app.api_login("bihar").await;
    let case = claim(&app, &session).await;
    assert_eq!(case["earlier"], serde_json::json!({}), "{dialect:?}: nothing given differently: {case}");
}

#[tokio::test]
async fn a_repeat_call_with_a_state_but_no_district_keeps_the_district_on_every_gateway() {
    for dialect in ALL {
        a_repeat_call_keeps_what_the_first_gave(dialect).await;
    }
}

async fn a_different_district_is_kept_beside_the_first(dialect: Dialect) {
    let app = spawn_app().await;
    first_call(&app, dialect).await;
    repeat_call(&app, dialect, 86, "10#", Some("196#")).await;
    let case = app.only_case().await;
    assert_eq!(case["home_district_code"].as_i64(), Some(196), "{dialect:?}: the latest given, Gaya");
    app.add_user("bihar", "volunteer", "10,19", "hi", "").await;
    let session = app.api_login("bihar").await;
    let case = claim(&app, &session).await;
    let earlier = &case["earlier"]["home_district_code"];
    assert_eq!(earlier.as_array().map(Vec::len), Some(1), "{dialect:?}: {case}");
    assert_eq!(
        (earlier[0]["value"].as_str(), earlier[0]["call_sid"].as_str()),
        (Some("212"), Some(&*sid(dialect, 84)))
    );
    assert_eq!(earlier[0]["provider"], format!("{dialect:?}").to_lowercase(), "{dialect:?}");
    assert!(earlier[0]["given_at"].is_string());
    let answers = case["history"]["answers"].as_array().unwrap();
    let districts: Vec<(&str, bool)> = answers
        .iter()
        .filter(|a| a["field"] == "home_district_code")
        .map(|a| (a["value"].as_str().unwrap(), a["current"].as_bool().unwrap()))
        .collect();
    assert_eq!(districts, [("212", false), ("196", true)], "{dialect:?}: both, with which is current");
    let page = case_page(&app, &session, case["id"].as_i64().unwrap()).await;
    let district = &page[page.find(r#"id="home-district""#).unwrap()..];
    let district = &district[..district.find("</dd>").unwrap()];
    assert!(district.contains("Gaya") && district.contains("पहले · earlier: Patna"), "{dialect:?}: {district}");
    assert!(district.contains(&sid(dialect, 84)), "{dialect:?}: which call: {district}");

    // A new state without a district: the district is not kept as if it
    // were in the new state; the earlier ones stay, each with its state.
    repeat_call(&app, dialect, 87, "19#", None).await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(19), None));
    let case = case_json(&app, &session, case["id"].as_i64().unwrap()).await;
    let earlier: Vec<&str> = case["earlier"]["home_district_code"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["value"].as_str().unwrap())
        .collect();
    assert_eq!(earlier, ["212", "196"], "{dialect:?}: {case}");
    assert_eq!(case["earlier"]["home_state_code"][0]["value"], "10", "{dialect:?}");
}

#[tokio::test]
async fn a_repeat_call_with_a_different_district_keeps_both_with_which_call_on_every_gateway() {
    for dialect in ALL {
        a_different_district_is_kept_beside_the_first(dialect).await;
    }
}
