//! The case page in a real browser on a 360 × 640 phone: the call button
//! and "Save" on the first screen and nothing wider than it; a PIN code
//! looked up in place, keeping what was typed; a voice message the gateway
//! cannot give says so. (Headless Chromium, as `browser.rs`; skipped the
//! same way where it is missing.)

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{
    browser::{browser_sized, screenshot, text_containing},
    case_page::{caller_with_message, failing_media_host, recordings_at},
    helpers::{password, spawn_app_with},
};

/// Whether the element with `id` lies wholly on the first screen.
async fn on_first_screen(client: &Client, id: &str) -> Value {
    let script = "const r = document.getElementById(arguments[0]).getBoundingClientRect(); \
                  return [r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight \
                          && r.right <= window.innerWidth, Math.round(r.bottom)];";
    client.execute(script, vec![json!(id)]).await.unwrap()
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

async fn value_of(client: &Client, id: &str) -> String {
    client.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

#[tokio::test]
async fn on_a_phone_the_call_and_save_come_first_and_a_pin_look_up_keeps_what_was_typed() {
    let profile = tempfile::TempDir::new().unwrap();
    let Some((_driver, client)) = browser_sized(profile.path(), 360, 640).await else { return };
    let host = failing_media_host().await;
    let app = spawn_app_with(recordings_at(&host)).await;
    caller_with_message(&app, 1, &format!("{host}/missing.wav")).await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;

    client.goto(&format!("{}/login", app.address)).await.unwrap();
    client.find(Locator::Id("username")).await.unwrap().send_keys("asha").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(&password("asha")).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("take-next")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Id("save-outcome")).await.expect("the case page");

    // One screen: the call button and Save without scrolling, nothing wider.
    assert_eq!(js(&client, "return [window.innerWidth, window.innerHeight]").await, json!([360, 640]));
    screenshot(&client, "7-case-first-screen.png").await;
    for id in ["phone", "dial", "outcome-no-answer", "save-outcome"] {
        let at = on_first_screen(&client, id).await;
        assert_eq!(at[0], json!(true), "#{id} on the first screen: {at}");
    }
    let wide = "return document.documentElement.scrollWidth <= window.innerWidth";
    assert_eq!(js(&client, wide).await, json!(true), "nothing overflows sideways");
    screenshot(&client, "7-case-first-screen.png").await;

    // Typed, then a PIN looked up in place: no reload, nothing lost.
    js(&client, "window.samparkMarker = 'the same page'; return null").await;
    client.find(Locator::Id("outcome-follow-up")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("referred_to")).await.unwrap().send_keys("District labour officer").await.unwrap();
    client.find(Locator::Id("notes")).await.unwrap().send_keys("Twelve workers, wages unpaid").await.unwrap();
    client.find(Locator::Css("#about-worker summary")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("worker_name")).await.unwrap().send_keys("Ramesh").await.unwrap();
    client.find(Locator::Id("pin_code")).await.unwrap().send_keys("110001").await.unwrap();
    client.find(Locator::Id("pin-look-up")).await.unwrap().click().await.unwrap();
    let found = text_containing(&client, "#pin-result", "District: ").await;
    assert!(found.contains("State: "), "{found}");
    let offices =
        js(&client, "return [...document.querySelectorAll('select#post_office option')].map(o => o.text)").await;
    assert!(offices.as_array().unwrap().contains(&json!("New Delhi GPO")), "{offices}");
    assert_eq!(js(&client, "return window.samparkMarker").await, json!("the same page"), "the page did not reload");
    assert_eq!(value_of(&client, "notes").await, "Twelve workers, wages unpaid");
    assert_eq!(value_of(&client, "referred_to").await, "District labour officer");
    assert_eq!(value_of(&client, "worker_name").await, "Ramesh");
    assert_eq!(js(&client, wide).await, json!(true), "still nothing wider than the screen");
    screenshot(&client, "8-pin-looked-up.png").await;

    let pin = client.find(Locator::Id("pin_code")).await.unwrap();
    pin.clear().await.unwrap();
    pin.send_keys("000000").await.unwrap();
    client.find(Locator::Id("pin-look-up")).await.unwrap().click().await.unwrap();
    text_containing(&client, "#pin-result", "No post office has PIN code 000000").await;
    assert_eq!(value_of(&client, "notes").await, "Twelve workers, wages unpaid", "a bad PIN loses nothing either");
    pin.clear().await.unwrap();
    pin.send_keys("110001").await.unwrap();

    // The gateway has lost the voice message: the player's failure is shown.
    let message = client.find(Locator::Id("voice-message-error")).await.unwrap();
    assert!(!message.is_displayed().await.unwrap(), "no message before it is played");
    js(&client, "const a = document.getElementById('voice-message'); a.preload = 'auto'; a.load(); return null").await;
    let mut shown = false;
    for _ in 0..100 {
        shown = message.is_displayed().await.unwrap();
        if shown {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(shown, "the voice message's failure is shown");
    assert!(message.text().await.unwrap().contains("could not be played"));

    client.find(Locator::Id("save-outcome")).await.unwrap().click().await.unwrap();
    let flash = text_containing(&client, ".flash", "follow-up").await;
    assert!(flash.contains("Recorded"), "{flash}");
    client.close().await.unwrap();
    let case = app.only_case().await;
    assert_eq!(case["status"], "follow_up");
    let kept = app.database.pairs("SELECT worker_name, pin_code FROM cases").await;
    assert_eq!(kept, [("Ramesh".to_owned(), "110001".to_owned())], "the typed details were saved");
}
