//! The home district by name, through every gateway: a page of names after
//! the state, the next page with 9, the PIN code read back with its post
//! office (8), the district and village said aloud when it is not in the
//! list (0), and the lists put in the order this helpline's callers give.
//! (Test numbers are in no real series: the series `1000` is mapped to the
//! Bihar & Jharkhand circle, so every caller here is offered Bihar first.)

use std::{sync::Arc, time::Duration};

use sampark::{
    directory::Directory,
    domain::{DistrictCode, StateCode},
};

use super::{
    dialects::{ALL, Dialect, Phone},
    gateways::sid,
    helpers::{Options, TestApp, spawn_app_with},
};

const MOBILE: &str = "1000000002";

async fn app(env: Vec<(&'static str, String)>) -> TestApp {
    let numbering = sampark::directory::Numbering::with_series("series,circle_code\n1000,BR\n").unwrap();
    spawn_app_with(Options { numbering: Some(Arc::new(numbering)), env, ..Options::default() }).await
}

/// Bihar's districts as the list reads them to a new helpline: by name.
fn bihar_by_name() -> Vec<(u16, String)> {
    let directory = Directory::bundled();
    let mut districts: Vec<_> = directory.districts_of(StateCode::new(10).unwrap()).collect();
    districts.sort_by(|a, b| a.name.cmp(&b.name));
    districts.iter().map(|d| (d.code.get(), d.name.clone())).collect()
}

/// Hindi, consent, Bihar from the guess: the first page of districts.
async fn to_the_districts(phone: &mut Phone<'_>) -> super::dialects::Heard {
    phone.press("1").await;
    phone.press("1").await;
    phone.press("1").await.clone()
}

async fn a_district_on_the_first_page_is_one_key(dialect: Dialect) {
    let app = app(Vec::new()).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 81), MOBILE).await;
    let page = to_the_districts(&mut phone).await;
    let names = bihar_by_name();
    for heard in ["अपना ज़िला चुनें", &names[0].1, "1 दबाएँ", &names[6].1, "पिन कोड पता हो तो 8"]
    {
        assert!(page.text.contains(heard), "{dialect:?}: `{heard}` in {:?}", page.text);
    }
    for heard in ["और ज़िले 9", "ज़िला न मिले तो 0", "स्टार"] {
        assert!(page.text.contains(heard), "{dialect:?}: `{heard}` in {:?}", page.text);
    }
    assert!(!page.text.contains(&names[7].1), "{dialect:?}: seven a page");
    assert_eq!(page.input, Some((1, None)), "{dialect:?}: one key");
    let need = phone.press("3").await.clone();
    assert!(!need.text.contains("ज़िला चुनें") && need.input == Some((1, None)), "{dialect:?}: the need: {need:?}");
    phone.press("1").await;
    phone.leave_message("https://recordings.example/rec-81.wav").await;
    phone.hang_up().await;
    let case = app.only_case().await;
    let codes = (case["home_state_code"].as_i64(), case["home_district_code"].as_i64());
    assert_eq!(codes, (Some(10), Some(i64::from(names[2].0))), "{dialect:?}: the third name");
}

#[tokio::test]
async fn a_district_on_the_first_page_is_one_key_on_every_gateway() {
    for dialect in ALL {
        a_district_on_the_first_page_is_one_key(dialect).await;
    }
}

async fn nine_turns_the_page(dialect: Dialect) {
    let app = app(Vec::new()).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 82), MOBILE).await;
    to_the_districts(&mut phone).await;
    let names = bihar_by_name();
    let second = phone.press("9").await.clone();
    assert!(second.text.contains(&names[7].1) && second.text.contains(&names[13].1), "{dialect:?}: {second:?}");
    let (status, first, again_status, again) = phone.retry_last().await;
    assert_eq!((status, &first), (again_status, &again), "{dialect:?}: a retried page turn turns no page");
    phone.press("2").await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_district_code"].as_i64(), Some(i64::from(names[8].0)), "{dialect:?}: key 2 of page 2");
}

#[tokio::test]
async fn nine_turns_the_page_of_districts_on_every_gateway() {
    for dialect in ALL {
        nine_turns_the_page(dialect).await;
    }
}

async fn a_pin_code_is_read_back_with_its_post_office(dialect: Dialect) {
    let app = app(Vec::new()).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 83), MOBILE).await;
    to_the_districts(&mut phone).await;
    let ask = phone.press("8").await.clone();
    assert!(ask.text.contains("पिन कोड के छह अंक"), "{dialect:?}: {ask:?}");
    assert!(ask.input.is_some_and(|(n, f)| n >= 6 && f == Some('#')), "{dialect:?}: six digits: {ask:?}");
    let wrong = phone.press("999999").await.clone();
    assert!(wrong.text.contains("यह पिन कोड हमें नहीं मिला"), "{dialect:?}: {wrong:?}");
    let readback = phone.press("800001").await.clone();
    for heard in ["इस डाकघर का है", "Patna GPO", "Patna", "बिहार", "1"] {
        assert!(readback.text.contains(heard), "{dialect:?}: `{heard}` in {:?}", readback.text);
    }
    phone.press("1").await;
    phone.press("4").await;
    phone.silence().await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(10), Some(212)));
    assert_eq!(case["need"], "medical", "{dialect:?}");
}

#[tokio::test]
async fn a_pin_code_is_read_back_with_its_post_office_on_every_gateway() {
    for dialect in ALL {
        a_pin_code_is_read_back_with_its_post_office(dialect).await;
    }
}

async fn a_district_not_in_the_list_is_said_aloud(dialect: Dialect) {
    let app = app(Vec::new()).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 84), MOBILE).await;
    to_the_districts(&mut phone).await;
    let beep = phone.press("0").await.clone();
    assert!(beep.recording && beep.text.contains("ज़िले और गाँव का नाम बोलें"), "{dialect:?}: {beep:?}");
    let need = phone.leave_message("https://recordings.example/place-84.wav").await.clone();
    assert!(!need.recording && need.input.is_some(), "{dialect:?}: on to the need: {need:?}");
    phone.press("1").await;
    phone.leave_message("https://recordings.example/message-84.wav").await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_state_code"].as_i64(), Some(10), "{dialect:?}: the state is kept");
    assert_eq!(case["home_district_code"], serde_json::Value::Null);
    assert_eq!(case["recording_url"], "https://recordings.example/message-84.wav", "{dialect:?}: the message");
    assert_eq!(case["place_recording_url"], "https://recordings.example/place-84.wav", "{dialect:?}: the place");
}

#[tokio::test]
async fn a_district_not_in_the_list_is_said_aloud_on_every_gateway() {
    for dialect in ALL {
        a_district_not_in_the_list_is_said_aloud(dialect).await;
    }
}

/// Callers from one district put it first for the next caller from that
/// state, once the counts are taken again (here every second).
#[tokio::test]
async fn the_helplines_own_callers_put_their_district_first() {
    let app = app(vec![("SAMPARK_RANKING_REFRESH_SECS", "1".to_owned())]).await;
    let patna = DistrictCode::new(212).unwrap();
    assert!(bihar_by_name()[0].0 != patna.get(), "Patna is not first by name");
    let mut phone = Phone::dial(&app, Dialect::Twilio, &sid(Dialect::Twilio, 85), MOBILE).await;
    to_the_districts(&mut phone).await;
    phone.press("8").await;
    phone.press("800001").await;
    phone.press("1").await;
    phone.hang_up().await;
    for n in 0..40 {
        let mut next = Phone::dial(&app, Dialect::Twilio, &sid(Dialect::Twilio, 86 + n), "1000000003").await;
        let page = to_the_districts(&mut next).await;
        next.hang_up().await;
        let first = page.text.find("Patna").zip(page.text.find(&bihar_by_name()[0].1));
        if first.is_some_and(|(patna, by_name)| patna < by_name) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("Patna never came first");
}

/// The district said aloud reaches the volunteer: a player of its own on
/// the case page, fetched from the gateway like the voice message, each
/// play audited.
#[tokio::test]
async fn a_volunteer_hears_the_district_said_aloud_beside_the_voice_message() {
    use super::case_page::{failing_media_host, recordings_at};
    let host = failing_media_host().await;
    let app = spawn_app_with(recordings_at(&host)).await;
    let mut call = super::twilio_sim::Call::start(&app, "CAd0000000000000000000000000000001", "+911000000451").await;
    for keys in ["1", "1", "2", "0"] {
        call.press(keys).await; // Hindi, consent, Bihar from the list, not in the list
    }
    call.leave_message(&format!("{host}/fine.wav")).await;
    call.press("1").await;
    call.leave_message(&format!("{host}/missing.wav")).await;
    call.hang_up().await;
    app.add_user("boss", "admin", "", "", "").await;
    let boss = app.api_login("boss").await;
    let page = app.api(&boss, reqwest::Method::GET, "/cases/1").send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"<audio id="place-message""#) && page.contains(r#"href="/cases/1/place-recording""#));
    assert!(page.contains("District and village, said aloud"), "{page}");
    assert!(page.contains(r#"<audio id="voice-message""#), "the voice message too");
    let place = app.api(&boss, reqwest::Method::GET, "/cases/1/place-recording").send().await.unwrap();
    assert_eq!(place.status(), reqwest::StatusCode::OK);
    assert!(place.bytes().await.unwrap().starts_with(b"RIFF"), "the place recording plays");
    let message = app.api(&boss, reqwest::Method::GET, "/cases/1/recording").send().await.unwrap();
    assert_eq!(message.status(), reqwest::StatusCode::BAD_GATEWAY, "the voice message is the other one");
    let audit = app.audit.latest(10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "play_place_recording"), "{audit:?}");
}

/// The default flow's language menu on every gateway: a Bihar number hears
/// Hindi, Bhojpuri, Maithili and Urdu first, each line in its own language;
/// 9 turns to the others, and a language picked there asks the rest of the
/// call in it.
async fn the_language_menu_pages_from_the_callers_circle(dialect: Dialect) {
    let app = app(Vec::new()).await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 120), MOBILE).await;
    let first = phone.heard.clone();
    for line in ["हिंदी के लिए 1 दबाएँ", "भोजपुरी खातिर", "मैथिली", "और भाषाएँ 9"]
    {
        assert!(first.text.contains(line), "{dialect:?}: `{line}` in {:?}", first.text);
    }
    assert!(!first.text.contains("বাংলার জন্য"), "{dialect:?}: Bengali is not on a Bihar number's first page");
    let second = phone.press("9").await.clone();
    assert!(second.text.contains("বাংলার জন্য") && second.text.contains("For English,"), "{dialect:?}: {second:?}");
    assert!(!second.text.contains("भोजपुरी खातिर"), "{dialect:?}: the first page's are not repeated");
    // "For English, press N." — the key English has on this page.
    let after = &second.text[second.text.find("For English, press ").expect("English's line") + 19..];
    let english: String = after.chars().take_while(char::is_ascii_digit).collect();
    let consent = phone.press(&english).await.clone();
    assert!(consent.text.contains("If you agree, press 1"), "{dialect:?}: in English now: {consent:?}");
    phone.hang_up().await;
    assert_eq!(app.only_case().await["language"], "en", "{dialect:?}");
}

#[tokio::test]
async fn the_language_menu_pages_from_the_callers_circle_on_every_gateway() {
    for dialect in ALL {
        the_language_menu_pages_from_the_callers_circle(dialect).await;
    }
}
