//! Requests no gateway sends — a call id with a space or 500 characters,
//! keys that are no keys — through every dialect: each gets the clear 400
//! naming the parameter that every malformed webhook gets, stores nothing,
//! and the call they pretend to be part of goes on with all it captured.

use super::{
    dialects::{Dialect, Phone},
    helpers::spawn_app,
};

const MOBILE: &str = "1000000004";

fn sid(dialect: Dialect) -> String {
    match dialect {
        Dialect::Twilio => format!("CA{:032}", 41),
        Dialect::Plivo => "3e82ae9d-2c78-4d85-b1a4-000000000041".to_owned(),
        Dialect::KooKoo => format!("{:020}", 41),
        Dialect::Exotel => format!("{:032x}", 41),
    }
}

/// Keys as the dialect carries them (Exotel wraps them in double quotes).
fn keyed(dialect: Dialect, keys: &str) -> String {
    if dialect == Dialect::Exotel { format!("\"{keys}\"") } else { keys.to_owned() }
}

async fn malformed_ids_and_keys_are_refused_and_the_call_goes_on(dialect: Dialect) {
    // Arrange: a call that has given its language, consent and state.
    let app = spawn_app().await;
    let mut phone = Phone::dial(&app, dialect, &sid(dialect), MOBILE).await;
    phone.press("1").await;
    phone.press("1").await;
    phone.press("0").await;
    phone.press("10#").await;
    let before = app.counts().await;
    let (id_name, keys_name) = phone.parameter_names();

    // Act and assert: each malformed answer is refused by name.
    let long = "A".repeat(500);
    for bad_id in ["CA 41", long.as_str()] {
        let (status, body) = phone.answer_with(&[(id_name, bad_id), (keys_name, &keyed(dialect, "212"))]).await;
        assert_eq!(status, 400, "{dialect:?}: call id {bad_id:.10}…: {body}");
        assert!(body.contains(id_name), "{dialect:?}: the answer names `{id_name}`: {body}");
    }
    for bad_keys in ["12a", "2'; DROP TABLE cases"] {
        let (status, body) = phone.answer_with(&[(keys_name, &keyed(dialect, bad_keys))]).await;
        assert_eq!(status, 400, "{dialect:?}: keys {bad_keys}: {body}");
        assert!(body.contains(keys_name), "{dialect:?}: the answer names `{keys_name}`: {body}");
    }
    assert_eq!(app.counts().await, before, "{dialect:?}: nothing stored for them");

    // The call carries on at the district question, and keeps what it had.
    let readback = phone.press("212#").await;
    assert!(readback.text.contains("Patna"), "{dialect:?}: {readback:?}");
    phone.hang_up().await;
    let case = app.only_case().await;
    assert_eq!((case["language"].as_str(), case["consent"].as_bool()), (Some("hi"), Some(true)), "{dialect:?}");
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(10), Some(212)));
}

mod twilio {
    #[tokio::test]
    async fn malformed_ids_and_keys_are_refused_and_the_call_goes_on() {
        super::malformed_ids_and_keys_are_refused_and_the_call_goes_on(super::Dialect::Twilio).await;
    }
}

mod plivo {
    #[tokio::test]
    async fn malformed_ids_and_keys_are_refused_and_the_call_goes_on() {
        super::malformed_ids_and_keys_are_refused_and_the_call_goes_on(super::Dialect::Plivo).await;
    }
}

mod kookoo {
    #[tokio::test]
    async fn malformed_ids_and_keys_are_refused_and_the_call_goes_on() {
        super::malformed_ids_and_keys_are_refused_and_the_call_goes_on(super::Dialect::KooKoo).await;
    }
}

mod exotel {
    #[tokio::test]
    async fn malformed_ids_and_keys_are_refused_and_the_call_goes_on() {
        super::malformed_ids_and_keys_are_refused_and_the_call_goes_on(super::Dialect::Exotel).await;
    }
}
