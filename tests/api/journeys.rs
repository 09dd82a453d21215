//! Whole calls through the default flow, as a caller lives them.

use serde_json::{Value, json};

use super::{
    helpers::{Options, prompts_with_recordings, spawn_app, spawn_app_with},
    twilio_sim::Call,
};

const CALLER: &str = "+911000000001";

/// Plays the default flow end to end and checks what the caller heard.
async fn happy_path(
    language_key: &str,
    locale: &str,
    state: &str,
    district: &str,
    district_name: &str,
    state_name: &str,
) -> Value {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000001", CALLER).await;
    let menu = call.twiml.gather.clone().expect("the language menu gathers a key");
    assert_eq!(menu.num_digits, Some(1));
    assert!(call.twiml.spoken().contains("सम्पर्क"), "welcome in Hindi");

    let consent = call.press(language_key).await;
    assert!(consent.languages().iter().all(|l| *l == locale), "consent in {locale}: {:?}", consent.says);
    call.press("1").await;
    let list = call.press("0").await.clone();
    assert!(list.gather.is_some(), "0 at the list of states: the code");
    let district_question = call.press(&format!("{state}#")).await;
    assert!(district_question.gather.is_some());
    let readback = call.press(&format!("{district}#")).await.clone();
    assert!(readback.spoken().contains(district_name), "district read back: {}", readback.spoken());
    assert!(readback.spoken().contains(state_name), "state read back: {}", readback.spoken());
    call.press("1").await;
    let message = call.press("4").await;
    assert!(message.record_action.is_some(), "the need menu leads to the voice message");
    let other = call.leave_message("https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0001").await;
    assert!(!other.hangup && other.gather.is_some(), "then: another number to call back on?");
    let thanks = call.silence().await;
    assert!(thanks.hangup, "silence there: thanks, then hang up");
    assert!(thanks.gather.is_none());
    call.hang_up().await;
    app.only_case().await
}

fn assert_case(case: &Value, language: &str, state: i64, district: i64) {
    assert_eq!(case["phone"], CALLER);
    assert_eq!(case["language"], language);
    assert_eq!(case["consent"], true);
    assert_eq!(case["home_state_code"], state);
    assert_eq!(case["home_district_code"], district);
    assert_eq!(case["need"], "medical");
    assert_eq!(case["recording_url"], "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0001");
    assert_eq!(case["status"], "queued");
    assert_eq!(case["calls"], 1);
}

#[tokio::test]
async fn happy_path_in_hindi_queues_a_complete_case() {
    let case = happy_path("1", "hi-IN", "10", "212", "Patna", "बिहार").await;
    assert_case(&case, "hi", 10, 212);
}

#[tokio::test]
async fn happy_path_in_bengali_queues_a_complete_case() {
    let case = happy_path("2", "bn-IN", "19", "305", "Bankura", "পশ্চিমবঙ্গ").await;
    assert_case(&case, "bn", 19, 305);
}

#[tokio::test]
async fn happy_path_in_odia_queues_a_complete_case() {
    let case = happy_path("3", "or-IN", "21", "346", "Baleshwar", "ଓଡ଼ିଶା").await;
    assert_case(&case, "or", 21, 346);
}

#[tokio::test]
async fn silence_at_every_question_still_queues_the_caller_in_hindi() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000002", CALLER).await;
    let again = call.silence().await;
    assert!(again.gather.is_some(), "asked again, not hung up");
    assert!(!again.hangup);
    let consent = call.silence().await.clone();
    assert!(consent.languages().iter().all(|l| *l == "hi-IN"), "silence twice means Hindi");
    call.silence().await;
    call.silence().await;
    let goodbye = call.silence().await;
    assert!(goodbye.hangup, "after the consent retries the call ends politely");
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["phone"], CALLER);
    assert_eq!(case["language"], "hi");
    assert_eq!(case["consent"], Value::Null);
    assert_eq!(case["home_state_code"], Value::Null);
    assert_eq!(case["status"], "queued");
}

#[tokio::test]
async fn a_consenting_caller_who_stays_silent_is_moved_on_through_every_question() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000003", CALLER).await;
    call.press("2").await;
    call.press("1").await;
    // The list of states asks twice, then the caller may say where they are from.
    for _ in 0..2 {
        assert!(!call.silence().await.hangup);
    }
    assert!(call.twiml.record_action.is_some(), "say the district and village after the beep");
    assert!(!call.silence().await.hangup);
    assert!(call.twiml.spoken().contains("সাহায্য"), "the need question after the state question gave up");
    for _ in 0..3 {
        call.silence().await;
    }
    assert!(call.twiml.record_action.is_some(), "then the voice message");
    let other = call.silence().await;
    assert!(!other.hangup && other.gather.is_some(), "then another number to call back on");
    let end = call.silence().await;
    assert!(end.hangup);
    let case = app.only_case().await;
    assert_eq!(case["consent"], true);
    assert_eq!(case["language"], "bn");
    assert_eq!(case["home_state_code"], Value::Null);
    assert_eq!(case["need"], Value::Null);
    assert_eq!(case["recording_url"], Value::Null);
}

#[tokio::test]
async fn invalid_and_out_of_state_codes_are_asked_again_then_accepted() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000004", CALLER).await;
    call.press("4").await;
    call.press("1").await;
    call.press("0").await;
    let wrong_state = call.press("99#").await;
    assert!(wrong_state.spoken().contains("not a state code"), "{}", wrong_state.spoken());
    assert!(wrong_state.spoken().contains("home state"), "and the question again");
    call.press("09#").await;
    let out_of_state = call.press("212#").await;
    assert!(out_of_state.spoken().contains("not a district code of your state"), "Patna is in Bihar, not UP");
    let readback = call.press("187#").await;
    assert!(readback.spoken().contains("Varanasi"), "{}", readback.spoken());
    call.press("1").await;
    call.press("1").await;
    call.silence().await;
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].clone(), case["home_district_code"].clone()), (json!(9), json!(187)));
    assert_eq!(case["need"], "food");
}

#[tokio::test]
async fn pressing_two_at_the_readback_lets_the_caller_reenter_the_district() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000005", CALLER).await;
    call.press("1").await;
    call.press("1").await;
    call.press("0").await;
    call.press("10#").await;
    assert!(call.press("212#").await.spoken().contains("Patna"));
    let asked_again = call.press("2").await;
    assert!(asked_again.spoken().contains("ज़िले का कोड"), "{}", asked_again.spoken());
    assert!(call.press("209#").await.spoken().contains("Nalanda"));
    call.press("1").await;
    call.press("3").await;
    call.silence().await;
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_district_code"], 209);
    assert_eq!(case["need"], "travel");
}

#[tokio::test]
async fn a_caller_who_hangs_up_after_the_state_question_is_queued_with_the_state() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000006", CALLER).await;
    call.press("1").await;
    call.press("1").await;
    call.press("0").await;
    call.press("10#").await;
    assert!(app.cases().await.is_empty(), "not queued while still on the line");
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_state_code"], 10);
    assert_eq!(case["home_district_code"], Value::Null);
    assert_eq!(case["consent"], true);
    assert_eq!(case["status"], "queued");
}

#[tokio::test]
async fn a_repeat_caller_folds_into_one_case_and_keeps_its_place() {
    let app = spawn_app().await;
    let mut first = Call::start(&app, "CA00000000000000000000000000000007", CALLER).await;
    for keys in ["1", "1", "0", "10#", "212#", "1", "1"] {
        first.press(keys).await;
    }
    first.leave_message("https://api.twilio.com/r/RE1").await;
    first.hang_up().await;
    let before = app.only_case().await;

    // The same worker calls again from another gateway spelling of the number,
    // and this time says nothing.
    let mut second = Call::start(&app, "CA00000000000000000000000000000008", "+91 10000-00001").await;
    second.silence().await;
    second.silence().await;
    second.hang_up().await;
    let after = app.only_case().await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["calls"], 2);
    assert_eq!(after["first_call_at"], before["first_call_at"], "keeps its place in line");
    assert_eq!(after["home_district_code"], 212, "a silent repeat call loses nothing");
    assert_eq!(after["need"], "food");

    let other = Call::start(&app, "CA00000000000000000000000000000009", "+911000000002").await;
    other.hang_up().await;
    assert_eq!(app.cases().await.len(), 2, "another number is another case");
}

#[tokio::test]
async fn a_caller_who_declines_consent_is_queued_with_number_and_language_only() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000010", CALLER).await;
    call.press("3").await;
    let goodbye = call.press("2").await;
    assert!(goodbye.hangup);
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["consent"], false);
    assert_eq!(case["language"], "or");
    assert_eq!(case["phone"], CALLER);
}

#[tokio::test]
async fn prompts_without_a_recording_fall_back_to_say_and_recorded_ones_play() {
    let prompts = prompts_with_recordings(&[("hi", "welcome"), ("bn", "consent")]);
    let app = spawn_app_with(Options { prompts_dir: prompts.path().to_owned(), ..Options::default() }).await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000011", CALLER).await;
    assert_eq!(call.twiml.plays.len(), 1, "the welcome is recorded");
    assert!(call.twiml.plays[0].starts_with("https://sampark.test/prompts/hi/welcome."));
    assert!(call.twiml.says.iter().any(|(l, _)| l == "bn-IN"), "the rest is spoken: {:?}", call.twiml.says);
    let consent = call.press("2").await.clone();
    assert_eq!(consent.says.len(), 0, "the Bengali consent prompt is recorded");

    let url = app.local_url(&consent.plays[0]);
    let audio = app.client.get(&url).send().await.unwrap();
    assert_eq!(audio.status(), 200);
    assert_eq!(audio.headers()["content-type"], "audio/wav");
    let etag = audio.headers()["etag"].to_str().unwrap().to_owned();
    assert!(audio.bytes().await.unwrap().starts_with(b"RIFF"));
    let cached = app.client.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);

    let missing = call.press("1").await;
    assert!(missing.says.iter().all(|(l, _)| l == "bn-IN"), "no recording for ask_state: spoken in Bengali");
    for bad in ["/prompts/bn/..%2Fcatalog.toml", "/prompts/xx/welcome.wav", "/prompts/hi/welcome.mp3"] {
        let response = app.client.get(format!("{}{bad}", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn a_recorded_district_name_is_played_and_an_unrecorded_state_name_is_spoken() {
    let prompts = prompts_with_recordings(&[("hi", "district_212")]);
    let app = spawn_app_with(Options { prompts_dir: prompts.path().to_owned(), ..Options::default() }).await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000012", CALLER).await;
    for keys in ["1", "1", "0", "10#"] {
        call.press(keys).await;
    }
    let readback = call.press("212#").await;
    assert_eq!(readback.plays.len(), 1, "{}", readback.raw);
    assert!(readback.plays[0].contains("/prompts/hi/district_212."));
    assert!(readback.spoken().contains("बिहार"), "the state is spoken in Hindi: {}", readback.spoken());
    assert!(!readback.spoken().contains("Patna"));
}

/// The test model delivers keys as a caller presses them (issue 9, item
/// 13): keys pressed after a question took its answer reach the next
/// question, as on a real phone. `12` at the language menu is Hindi, then
/// "no" to consent.
#[tokio::test]
async fn keys_pressed_ahead_reach_the_next_question() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000013", CALLER).await;
    let goodbye = call.press("12").await;
    assert!(goodbye.hangup, "consent declined: goodbye: {}", goodbye.raw);
    call.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["language"].as_str(), case["consent"].as_bool()), (Some("hi"), Some(false)));
}

/// The state question takes room for the `#` after a full-length code.
#[tokio::test]
async fn a_code_question_leaves_room_for_its_finish_key() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000014", CALLER).await;
    call.press("1").await;
    call.press("1").await;
    let state = call.press("0").await.gather.clone().expect("the state question");
    assert_eq!((state.num_digits, state.finish_on_key.as_str()), (Some(3), "#"), "two-digit codes, then #");
}
