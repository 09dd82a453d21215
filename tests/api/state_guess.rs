//! The home state guessed from the caller's number, through every gateway:
//! a caller whose number is from home gives their state with one key; one
//! whose guess is wrong goes on to the code and loses nothing. (Test numbers,
//! `+91 1000…`, are in no real series: each test maps the series `1000` to
//! the Bihar & Jharkhand circle.)

use std::sync::Arc;

use super::{
    dialects::{ALL, Dialect, Phone},
    gateways::sid,
    helpers::{Options, TestApp, spawn_app_with},
};

const MOBILE: &str = "1000000001";

async fn app_with_a_bihar_series() -> TestApp {
    let numbering = sampark::directory::Numbering::with_series("series,circle_code\n1000,BR\n").unwrap();
    spawn_app_with(Options { numbering: Some(Arc::new(numbering)), ..Options::default() }).await
}

async fn a_right_guess_is_one_key(dialect: Dialect) {
    let app = app_with_a_bihar_series().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 71), MOBILE).await;
    phone.press("1").await;
    let offer = phone.press("1").await.clone();
    assert!(offer.text.contains("अपना गृह राज्य चुनें"), "{dialect:?}: {offer:?}");
    for heard in ["बिहार", "1 दबाएँ", "झारखंड 2", "और कोई राज्य 3"]
    {
        assert!(offer.text.contains(heard), "{dialect:?}: `{heard}` in {:?}", offer.text);
    }
    let district = phone.press("1").await.clone();
    assert!(district.text.contains("अपना ज़िला चुनें"), "{dialect:?}: on to Bihar's districts: {district:?}");
    phone.press("8").await;
    let readback = phone.press("800001#").await;
    assert!(readback.text.contains("Patna") && readback.text.contains("बिहार"), "{dialect:?}: {readback:?}");
    phone.press("1").await;
    phone.press("1").await;
    phone.leave_message("https://recordings.example/rec-71.wav").await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(10), Some(212)));
    assert_eq!(case["need"], "food", "{dialect:?}");
}

async fn a_wrong_guess_goes_on_to_the_list_of_names(dialect: Dialect) {
    let app = app_with_a_bihar_series().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 72), MOBILE).await;
    phone.press("1").await;
    phone.press("1").await;
    let wrong_key = phone.press("7").await.clone();
    assert!(wrong_key.text.contains("बिहार"), "{dialect:?}: a wrong key hears the offer again: {wrong_key:?}");
    let list = phone.press("3").await.clone();
    for heard in ["अपना गृह राज्य चुनें", "उत्तर प्रदेश 1 दबाएँ", "पश्चिम बंगाल 3", "और राज्यों के लिए 9", "तो 0"]
    {
        assert!(
            list.text.contains(heard),
            "{dialect:?}: another state: the list by name: `{heard}` in {:?}",
            list.text
        );
    }
    let districts = phone.press("3").await.clone();
    assert!(districts.text.contains("अपना ज़िला चुनें"), "{dialect:?}: West Bengal's districts: {districts:?}");
    phone.press("1").await;
    phone.press("2").await;
    phone.silence().await;
    phone.hang_up().await;
    let case = app.only_case().await;
    let first = sampark::directory::Directory::bundled()
        .districts_of(sampark::domain::StateCode::new(19).unwrap())
        .min_by(|a, b| a.name.cmp(&b.name))
        .unwrap()
        .code;
    let codes = (case["home_state_code"].as_i64(), case["home_district_code"].as_i64());
    assert_eq!(codes, (Some(19), Some(i64::from(first.get()))), "{dialect:?}: West Bengal's first district by name");
}

async fn a_caller_silent_at_the_guess_hears_the_list_and_is_still_queued(dialect: Dialect) {
    let app = app_with_a_bihar_series().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 73), MOBILE).await;
    phone.press("1").await;
    phone.press("1").await;
    for _ in 0..3 {
        phone.silence().await;
    }
    assert!(phone.heard.text.contains("अपना गृह राज्य चुनें"), "{dialect:?}: the list: {:?}", phone.heard);
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_state_code"], serde_json::Value::Null, "a guess is never taken as an answer");
    assert_eq!(case["status"], "queued");
}

#[tokio::test]
async fn a_right_guess_is_one_key_on_every_gateway() {
    for dialect in ALL {
        a_right_guess_is_one_key(dialect).await;
    }
}

#[tokio::test]
async fn a_wrong_guess_goes_on_to_the_list_of_names_on_every_gateway() {
    for dialect in ALL {
        a_wrong_guess_goes_on_to_the_list_of_names(dialect).await;
    }
}

#[tokio::test]
async fn silence_at_the_guess_is_never_taken_for_an_answer_on_every_gateway() {
    for dialect in ALL {
        a_caller_silent_at_the_guess_hears_the_list_and_is_still_queued(dialect).await;
    }
}

async fn star_fixes_a_wrong_state(dialect: Dialect) {
    let app = app_with_a_bihar_series().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 74), MOBILE).await;
    phone.press("1").await;
    phone.press("1").await;
    let district = phone.press("1").await.clone();
    assert!(district.text.contains("स्टार"), "{dialect:?}: told how to go back: {district:?}");
    let again = phone.press("*#").await.clone();
    assert!(again.text.contains("झारखंड"), "{dialect:?}: the states again: {again:?}");
    let districts = phone.press("2").await.clone();
    assert!(districts.text.contains("Bokaro") && districts.text.contains("1 दबाएँ"), "{dialect:?}: {districts:?}");
    phone.press("1").await;
    phone.hang_up().await;
    let case = app.only_case().await;
    let codes = (case["home_state_code"].as_i64(), case["home_district_code"].as_i64());
    assert_eq!(codes, (Some(20), Some(322)), "{dialect:?}: Jharkhand, as fixed");
}

#[tokio::test]
async fn star_goes_back_to_fix_the_state_on_every_gateway() {
    for dialect in ALL {
        star_fixes_a_wrong_state(dialect).await;
    }
}

/// A caller with no guess (a withheld number, another circle's): the list of
/// names at once, a page turned with 9, a state picked there, or 0 for the
/// code.
async fn the_list_pages_and_keeps_the_code_path(dialect: Dialect) {
    let app = super::helpers::spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 75), MOBILE).await;
    phone.press("1").await;
    let list = phone.press("1").await.clone();
    assert!(list.text.contains("अपना गृह राज्य चुनें") && list.text.contains("बिहार"), "{dialect:?}: {list:?}");
    let second = phone.press("9").await.clone();
    assert!(!second.text.contains("बिहार"), "{dialect:?}: the next eight states: {second:?}");
    // The gateway sends the page turn again, byte for byte: the same page,
    // not the one after it.
    let (status, body, again_status, again_body) = phone.retry_last().await;
    assert_eq!((status, &body), (again_status, &again_body), "{dialect:?}: a retry turns no page");
    let first = sampark::directory::Directory::bundled().menu_order()[8];
    let name = sampark::directory::Directory::bundled()
        .state(first)
        .unwrap()
        .name_in(&sampark::domain::Language::parse("hi").unwrap())
        .to_owned();
    assert!(second.text.contains(&name), "{dialect:?}: `{name}` opens page two: {second:?}");
    let district = phone.press("1").await.clone();
    assert!(district.text.contains("अपना ज़िला चुनें"), "{dialect:?}: {district:?}");
    phone.hang_up().await;
    assert_eq!(app.only_case().await["home_state_code"].as_i64(), Some(i64::from(first.get())), "{dialect:?}");

    let mut coder = Phone::dial(&app, dialect, &sid(dialect, 76), "1000000002").await;
    coder.press("1").await;
    coder.press("1").await;
    let code = coder.press("0").await.clone();
    assert!(code.text.contains("गृह राज्य का कोड"), "{dialect:?}: 0 for the code: {code:?}");
    coder.press("21#").await;
    coder.hang_up().await;
    let cases = app.cases().await;
    assert!(cases.iter().any(|c| c["home_state_code"] == 21), "{dialect:?}: Odisha by code: {cases:?}");
}

#[tokio::test]
async fn the_list_of_states_pages_and_keeps_the_code_path_on_every_gateway() {
    for dialect in ALL {
        the_list_pages_and_keeps_the_code_path(dialect).await;
    }
}
