//! The journeys of a call, through every gateway dialect, from one table.
//! Each scenario is written once and run for Twilio, Plivo, KooKoo and
//! Exotel, with every request built as that gateway builds it.

use serde_json::Value;

use super::{
    dialects::{ALL, Dialect, Phone},
    helpers::{EXOTEL_SECRET, KOOKOO_SECRET, Options, spawn_app, spawn_app_with},
};

const MOBILE: &str = "1000000001";
const E164: &str = "+911000000001";

/// A call id as `dialect` spells them.
pub fn sid(dialect: Dialect, n: u32) -> String {
    match dialect {
        Dialect::Twilio => format!("CA{n:032}"),
        Dialect::Plivo => format!("3e82ae9d-2c78-4d85-b1a4-{n:012}"),
        Dialect::KooKoo => format!("{n:020}"),
        Dialect::Exotel => format!("{n:032x}"),
    }
}

async fn happy_path(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 1), MOBILE).await;
    assert!(phone.heard.text.contains("सम्पर्क"), "{dialect:?}: welcome: {:?}", phone.heard);
    phone.press("1").await;
    phone.press("1").await;
    phone.press("0").await;
    phone.press("10#").await;
    let readback = phone.press("212#").await;
    assert!(readback.text.contains("Patna") && readback.text.contains("बिहार"), "{dialect:?}: {readback:?}");
    phone.press("1").await;
    let message = phone.press("4").await;
    assert!(message.recording, "{dialect:?}: the need menu leads to the voice message: {message:?}");
    let other = phone.leave_message("https://recordings.example/rec-1.wav").await;
    assert!(!other.ended && other.text.contains("दूसरे नंबर पर फ़ोन"), "{dialect:?}: another number? {other:?}");
    let thanks = phone.silence().await;
    assert!(thanks.ended && thanks.text.contains("धन्यवाद"), "{dialect:?}: silence: thanks, then hang up: {thanks:?}");
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["phone"], E164, "{dialect:?}");
    assert_eq!(case["language"], "hi");
    assert_eq!(case["consent"], true);
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(10), Some(212)));
    assert_eq!(case["need"], "medical");
    assert_eq!(case["recording_url"], "https://recordings.example/rec-1.wav");
    assert_eq!(case["calls"], 1);
    assert_eq!(case["status"], "queued");
}

async fn silence_everywhere(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 2), MOBILE).await;
    let again = phone.silence().await;
    assert!(!again.ended && again.input.is_some(), "{dialect:?}: asked again, not hung up: {again:?}");
    let consent = phone.silence().await;
    assert!(consent.text.contains("सहमत"), "{dialect:?}: silence twice means Hindi: {consent:?}");
    phone.silence().await;
    phone.silence().await;
    let goodbye = phone.silence().await;
    assert!(goodbye.ended, "{dialect:?}: {goodbye:?}");
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["phone"], E164);
    assert_eq!(case["language"], "hi");
    assert_eq!(case["consent"], Value::Null);
}

async fn invalid_codes_then_valid(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 3), MOBILE).await;
    phone.press("2").await;
    phone.press("1").await;
    phone.press("0").await;
    let wrong = phone.press("99#").await;
    assert!(wrong.text.contains("কোনো রাজ্যের কোড নয়"), "{dialect:?}: {wrong:?}");
    phone.press("19#").await;
    let out_of_state = phone.press("212#").await;
    assert!(
        out_of_state.text.contains("কোনো জেলার কোড নয়"),
        "{dialect:?}: Patna is not in West Bengal: {out_of_state:?}"
    );
    let readback = phone.press("305#").await;
    assert!(readback.text.contains("Bankura"), "{dialect:?}: {readback:?}");
    phone.press("1").await;
    phone.press("2").await;
    phone.silence().await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(19), Some(305)));
    assert_eq!(case["need"], "money");
    assert_eq!(case["language"], "bn");
}

async fn hang_up_midway(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 4), MOBILE).await;
    phone.press("3").await;
    phone.press("1").await;
    phone.press("0").await;
    phone.press("21#").await;
    assert!(app.cases().await.is_empty(), "not queued while on the line");
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!(case["home_state_code"], 21);
    assert_eq!(case["home_district_code"], Value::Null);
    assert_eq!(case["language"], "or");
}

async fn repeat_caller(dialect: Dialect) {
    let app = spawn_app().await;
    let mut first = Phone::dial(&app, dialect, &sid(dialect, 5), MOBILE).await;
    for keys in ["1", "1", "0", "10#", "212#", "1", "1"] {
        first.press(keys).await;
    }
    first.silence().await;
    first.hang_up().await;
    let before = app.only_case().await;
    let mut second = Phone::dial(&app, dialect, &sid(dialect, 6), MOBILE).await;
    second.silence().await;
    second.hang_up().await;
    let after = app.only_case().await;
    assert_eq!(after["calls"], 2, "{dialect:?}");
    assert_eq!(after["first_call_at"], before["first_call_at"]);
    assert_eq!(after["home_district_code"], 212);
}

async fn retried_request(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 7), MOBILE).await;
    phone.press("1").await;
    let before = app.counts().await;
    let (status, body, again_status, again_body) = phone.retry_last().await;
    assert_eq!((again_status, &again_body), (status, &body), "{dialect:?}: a retry gets the same answer");
    assert_eq!(app.counts().await, before, "{dialect:?}: and records nothing new");
    // The call carries on as if the retry had not happened.
    let state = phone.press("1").await;
    assert!(state.text.contains("गृह राज्य"), "{dialect:?}: consent given once: {state:?}");
}

/// Issue 9, item 13: the prompts say "enter the code, then press hash". A
/// caller who keys a full-length code (`09`, `187`) and then `#`, as told,
/// loses no retry: the `#` ends that question, and the next question is
/// asked normally (not "we did not hear any key").
async fn full_length_code_then_hash(dialect: Dialect) {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect, 8), MOBILE).await;
    phone.press("1").await;
    phone.press("1").await;
    phone.press("0").await;
    let district = phone.press("09#").await.clone();
    assert!(district.text.contains("ज़िले का कोड"), "{dialect:?}: the district question: {district:?}");
    assert!(!district.text.contains("कोई बटन"), "{dialect:?}: not \"we did not hear any key\": {district:?}");
    let readback = phone.press("187#").await.clone();
    assert!(readback.text.contains("Varanasi"), "{dialect:?}: the district read back: {readback:?}");
    assert!(!readback.text.contains("माफ़ कीजिए"), "{dialect:?}: no apology, no retry: {readback:?}");
    let need = phone.press("1").await;
    assert!(need.text.contains("क्या मदद चाहिए"), "{dialect:?}: {need:?}");
    phone.press("1").await;
    phone.silence().await;
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(9), Some(187)));
    assert_eq!(case["need"], "food");
}

/// One `#[tokio::test]` per scenario and dialect.
macro_rules! for_every_dialect {
    ($($scenario:ident),*) => {
        mod twilio { $( #[tokio::test] async fn $scenario() { super::$scenario(super::Dialect::Twilio).await } )* }
        mod plivo { $( #[tokio::test] async fn $scenario() { super::$scenario(super::Dialect::Plivo).await } )* }
        mod kookoo { $( #[tokio::test] async fn $scenario() { super::$scenario(super::Dialect::KooKoo).await } )* }
        mod exotel { $( #[tokio::test] async fn $scenario() { super::$scenario(super::Dialect::Exotel).await } )* }
    };
}

for_every_dialect!(
    happy_path,
    silence_everywhere,
    invalid_codes_then_valid,
    hang_up_midway,
    repeat_caller,
    retried_request,
    full_length_code_then_hash
);

#[tokio::test]
async fn one_caller_over_two_gateways_is_one_case() {
    let app = spawn_app().await;
    for (n, dialect) in ALL.into_iter().enumerate() {
        let mut phone = Phone::dial(&app, dialect, &sid(dialect, 100 + n as u32), MOBILE).await;
        phone.press("1").await;
        phone.hang_up().await;
    }
    let case = app.only_case().await;
    assert_eq!(case["phone"], E164);
    assert_eq!(case["calls"], 4, "Twilio +91…, Plivo 91…, KooKoo 0…, Exotel 0…: one worker");
}

#[tokio::test]
async fn unsigned_gateways_without_their_secret_get_404_and_change_nothing() {
    let app = spawn_app().await;
    let client = &app.client;
    let new_call = [("event", "NewCall"), ("sid", "123"), ("cid", "01000000001")];
    let wrong =
        client.get(format!("{}/kookoo/not-the-secret-at-all", app.address)).query(&new_call).send().await.unwrap();
    assert_eq!(wrong.status(), 404);
    let right = client.get(format!("{}/kookoo/{KOOKOO_SECRET}", app.address)).query(&new_call).send().await.unwrap();
    assert_eq!(right.status(), 200);
    let before = app.counts().await;
    for applet in ["gather", "passthru", "next", "greeting", "status"] {
        let url = format!("{}/exotel/wrong-secret-wrong-secret/{applet}", app.address);
        let response = client.get(url).query(&[("CallSid", "abc"), ("digits", "\"1\"")]).send().await.unwrap();
        assert_eq!(response.status(), 404, "{applet}");
    }
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn gateways_that_are_not_configured_answer_404() {
    let options = Options {
        env: vec![
            ("SAMPARK_PLIVO_AUTH_TOKEN", String::new()),
            ("SAMPARK_KOOKOO_SECRET", String::new()),
            ("SAMPARK_EXOTEL_SECRET", String::new()),
        ],
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    let client = &app.client;
    let plivo = client.post(format!("{}/plivo/voice", app.address)).form(&[("CallUUID", "u")]).send().await.unwrap();
    assert_eq!(plivo.status(), 404);
    let kookoo =
        client.get(format!("{}/kookoo/{KOOKOO_SECRET}?event=NewCall&sid=1", app.address)).send().await.unwrap();
    assert_eq!(kookoo.status(), 404);
    let exotel = client.get(format!("{}/exotel/{EXOTEL_SECRET}/gather?CallSid=a", app.address)).send().await.unwrap();
    assert_eq!(exotel.status(), 404);
    assert_eq!(app.counts().await.calls, 0);
}

#[tokio::test]
async fn a_plivo_request_with_a_bad_signature_gets_403() {
    let app = spawn_app().await;
    let form = [("CallUUID", "u-1"), ("From", "911000000001")];
    let unsigned = app.client.post(format!("{}/plivo/voice", app.address)).form(&form).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    let forged = app
        .client
        .post(format!("{}/plivo/voice", app.address))
        .form(&form)
        .header("X-Plivo-Signature-V3", "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c=")
        .header("X-Plivo-Signature-V3-Nonce", "31627761595286130198")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(app.counts().await.calls, 0);
}

#[tokio::test]
async fn an_allow_list_keeps_out_other_networks() {
    let outside =
        Options { env: vec![("SAMPARK_EXOTEL_ALLOWED_NETWORKS", "203.0.113.0/24".to_owned())], ..Options::default() };
    let app = spawn_app_with(outside).await;
    let url = format!("{}/exotel/{EXOTEL_SECRET}/gather", app.address);
    let response = app.client.get(&url).query(&[("CallSid", "abc"), ("CallFrom", "01000000001")]).send().await.unwrap();
    assert_eq!(response.status(), 404, "127.0.0.1 is not in 203.0.113.0/24");

    let inside =
        Options { env: vec![("SAMPARK_EXOTEL_ALLOWED_NETWORKS", "127.0.0.0/8".to_owned())], ..Options::default() };
    let app = spawn_app_with(inside).await;
    let url = format!("{}/exotel/{EXOTEL_SECRET}/gather", app.address);
    let response = app.client.get(&url).query(&[("CallSid", "abc"), ("CallFrom", "01000000001")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn exotel_plays_several_recorded_prompts_as_one_joined_file() {
    let recorded = super::helpers::language_menu_recordings();
    let prompts = super::helpers::prompts_with_recordings(&recorded);
    let app = spawn_app_with(Options { prompts_dir: prompts.path().to_owned(), ..Options::default() }).await;
    let phone = Phone::dial(&app, Dialect::Exotel, &sid(Dialect::Exotel, 200), MOBILE).await;
    assert_eq!(phone.heard.audio.len(), 1, "one audio URL for the Gather: {:?}", phone.heard);
    let url = &phone.heard.audio[0];
    assert!(url.starts_with("https://sampark.test/prompts/sequence."), "{url}");
    assert!(url.contains(".wav?p=hi/welcome,hi/language_option,hi/press_1,bn/language_option,bn/press_2,or/"), "{url}");
    let local = app.local_url(url);
    let response = app.client.get(&local).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "audio/wav");
    let bytes = response.bytes().await.unwrap();
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(reader.spec().sample_rate, 8000);
    assert_eq!(reader.duration(), 19 * 8 * 300, "nineteen 300 ms recordings, joined");
    let tampered = local.replace("hi/welcome", "hi/..%2Fwelcome");
    assert_eq!(app.client.get(&tampered).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn exotel_callers_hear_the_apology_when_an_answer_cannot_be_taken() {
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, Dialect::Exotel, &sid(Dialect::Exotel, 300), MOBILE).await;
    app.database.execute("DROP TABLE call_events").await;
    let heard = phone.press("1").await;
    assert!(heard.ended && heard.text.contains("तकनीकी समस्या"), "{heard:?}");
}

#[tokio::test]
async fn exotel_status_callbacks_may_be_multipart() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new()
        .text("CallSid", "0123456789abcdef0123456789abcdef")
        .text("Status", "completed")
        .text("From", "01000000001")
        .text("DateUpdated", "2026-11-28 10:00:00");
    let url = format!("{}/exotel/{EXOTEL_SECRET}/status", app.address);
    let response = app.client.post(url).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.only_case().await["phone"], E164);
}

/// POSTs a form to a Plivo URL with a V3 signature computed over `signed_for`.
async fn plivo_post(
    app: &super::helpers::TestApp,
    path: &str,
    form: &[(&str, &str)],
    signed_for: &[(&str, &str)],
) -> u16 {
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let public = format!("{}{path}", super::helpers::PUBLIC_URL);
    let nonce = "12345678901234567890";
    let signature =
        sampark::gateway::plivo::sign_v3(super::helpers::PLIVO_TOKEN, "POST", &public, &owned(signed_for), nonce);
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .form(&owned(form))
        .header("X-Plivo-Signature-V3", signature)
        .header("X-Plivo-Signature-V3-Nonce", nonce)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Issue 9, item 6: `CallUUID=evil&From=…&CallUUID=<signed>&From=<signed>`
/// under a captured signature was accepted (the check kept the last value,
/// the handler read the first). Now the forgery is refused and stores
/// nothing, a repeated name is refused even when every value is signed,
/// and a normal signed request still works.
#[tokio::test]
async fn a_plivo_request_with_repeated_parameters_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let signed =
        [("CallUUID", "3e82ae9d-2c78-4d85-b1a4-000000000601"), ("From", "911000000001"), ("Event", "StartApp")];
    let forged = [
        ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-0000000evil1"),
        ("From", "911000000099"),
        ("CallUUID", signed[0].1),
        ("From", signed[1].1),
        ("Event", "StartApp"),
    ];
    let status = plivo_post(&app, "/plivo/voice", &forged, &signed).await;
    assert!(status == 403 || status == 400, "the forgery under a captured signature is refused: {status}");
    assert_eq!(plivo_post(&app, "/plivo/voice", &forged, &forged).await, 400, "repeated names, all signed");
    let hangup = [("CallUUID", signed[0].1), ("CallStatus", "completed"), ("CallStatus", "in-progress")];
    assert_eq!(plivo_post(&app, "/plivo/status", &hangup, &hangup).await, 400);
    let counts = app.counts().await;
    assert_eq!((counts.calls, counts.events, counts.cases), (0, 0, 0), "nothing stored");
    assert_eq!(plivo_post(&app, "/plivo/voice", &signed, &signed).await, 200, "a normal signed request works");
    assert_eq!(app.counts().await.calls, 1);
}

/// The same class of bug on Twilio: its signature sorts a repeated name's
/// values, so a captured request with two `Digits` keeps its signature
/// whatever their order. A repeated name is refused and stores nothing.
#[tokio::test]
async fn a_twilio_request_with_repeated_parameters_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let repeated = pairs(&[
        ("CallSid", "CA00000000000000000000000000000602"),
        ("CallSid", "CA0000000000000000000000000000evil"),
        ("From", "+911000000001"),
        ("CallStatus", "ringing"),
    ]);
    assert_eq!(app.post_form("/twilio/voice", &repeated, None).await.status(), 400, "signed, but repeated");
    let counts = app.counts().await;
    assert_eq!((counts.calls, counts.events, counts.cases), (0, 0, 0), "nothing stored");
    let single = pairs(&[("CallSid", "CA00000000000000000000000000000602"), ("From", "+911000000001")]);
    assert_eq!(app.post_form("/twilio/voice", &single, None).await.status(), 200);
}

/// KooKoo and Exotel are not signed, but read the same way: a repeated
/// name is refused rather than resolved to one of its values.
#[tokio::test]
async fn unsigned_gateways_refuse_repeated_parameters_too() {
    let app = spawn_app().await;
    let kookoo = format!("{}/kookoo/{KOOKOO_SECRET}", app.address);
    let query = [("event", "NewCall"), ("sid", "00000000000000000603"), ("cid", "01000000001"), ("sid", "other")];
    assert_eq!(app.client.get(&kookoo).query(&query).send().await.unwrap().status(), 400);
    let exotel = format!("{}/exotel/{EXOTEL_SECRET}/gather", app.address);
    let query = [("CallSid", "abc0603"), ("CallFrom", "01000000001"), ("CallFrom", "01000000099")];
    assert_eq!(app.client.get(&exotel).query(&query).send().await.unwrap().status(), 400);
    assert_eq!(app.counts().await.calls, 0);
}

/// Issue 9, item 12: Exotel integrations read the end of a call from
/// `CallStatus` (else `DialCallStatus`), with `CallType=call-attempt`, and
/// take a literal `null` for unknown. Such a request used to get 200 and
/// leave the call open until the idle sweeper; a final status now ends the
/// call at once and queues the caller.
#[tokio::test]
async fn exotel_end_of_call_by_call_status_or_dial_call_status_queues_the_caller_at_once() {
    let app = spawn_app().await;
    let mut first = Phone::dial(&app, Dialect::Exotel, &sid(Dialect::Exotel, 401), MOBILE).await;
    first.press("1").await;
    assert_eq!(first.exotel_end_of_call(&[("CallStatus", "completed")]).await, 200);
    let case = app.only_case().await;
    assert_eq!((case["status"].as_str(), case["calls"].as_i64()), (Some("queued"), Some(1)), "queued at once");

    let mut second = Phone::dial(&app, Dialect::Exotel, &sid(Dialect::Exotel, 402), "1000000002").await;
    second.press("2").await;
    let unknown = [("CallStatus", "null"), ("DialCallStatus", "null")];
    assert_eq!(second.exotel_end_of_call(&unknown).await, 200);
    assert_eq!(app.cases().await.len(), 1, "`null` is unknown: the call is not ended on it");
    let busy = [("CallStatus", "null"), ("DialCallStatus", "busy")];
    assert_eq!(second.exotel_end_of_call(&busy).await, 200);
    let cases = app.cases().await;
    assert_eq!(cases.len(), 2, "DialCallStatus ends it: {cases:#?}");
    assert!(cases.iter().any(|c| c["phone"] == "+911000000002" && c["language"] == "bn"));
}
