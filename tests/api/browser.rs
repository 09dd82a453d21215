//! A real browser on a phone-sized screen: a volunteer signs in, takes the
//! next caller, sees the voice message player, records "no answer", and
//! sees the case leave the list. Headless Chromium through ChromeDriver
//! (Debian's `chromium` and `chromium-driver`, installed by `.ci/run`).
//!
//! Where the browser is missing the test says so and passes, unless
//! `SAMPARK_REQUIRE_BROWSER` is set (`scripts/test` sets it).

use std::{path::PathBuf, process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

use super::{
    helpers::{fake_gateway, password, spawn_app, spawn_app_with},
    twilio_sim::Call,
};

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| PathBuf::from(dir).join(program)).find(|p| p.is_file())
}

/// ChromeDriver on a free port, and a session in headless Chromium.
async fn browser(profile: &std::path::Path) -> Option<(Child, Client)> {
    browser_sized(profile, 360, 740).await
}

/// As [`browser`], on a phone screen of `width` × `height` CSS pixels.
pub(super) async fn browser_sized(profile: &std::path::Path, width: u32, height: u32) -> Option<(Child, Client)> {
    let chromium = std::env::var_os("SAMPARK_CHROMIUM").map(PathBuf::from).or_else(|| which("chromium"));
    let driver = std::env::var_os("SAMPARK_CHROMEDRIVER").map(PathBuf::from).or_else(|| which("chromedriver"));
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        assert!(std::env::var_os("SAMPARK_REQUIRE_BROWSER").is_none(), "chromium and chromedriver are required");
        eprintln!("SKIPPED: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "mobileEmulation": { "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0 } },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--window-size={width},{height}"), format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities.as_object().unwrap().clone());
    // ChromeDriver takes a moment to listen: retry the connection for a while.
    for _ in 0..100 {
        if let Ok(client) = builder.connect(&format!("http://127.0.0.1:{port}")).await {
            return Some((child, client));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("ChromeDriver did not start");
}

pub(super) async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &png).unwrap();
    if std::env::var_os("SAMPARK_UPDATE_SCREENSHOTS").is_some() {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join(name), &png).unwrap();
    }
}

#[tokio::test]
async fn a_volunteer_on_a_phone_takes_a_caller_and_records_no_answer() {
    let profile = tempfile::TempDir::new().unwrap();
    let Some((_driver, client)) = browser(profile.path()).await else { return };
    // The voice message is on a stand-in for the gateway's media host.
    let (media, _) = fake_gateway().await;
    let app = spawn_app_with(super::case_page::recordings_at(&media)).await;
    let mut call = Call::start(&app, "CAe0000000000000000000000000000001", "+911000000141").await;
    for keys in ["1", "1", "0", "9#", "187#", "1", "1"] {
        call.press(keys).await;
    }
    call.leave_message(&format!("{media}/recordings/rec-1.wav")).await;
    call.hang_up().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;

    client.goto(&format!("{}/login", app.address)).await.unwrap();
    let width = client.execute("return window.innerWidth", vec![]).await.unwrap();
    assert_eq!(width, json!(360), "a 360-pixel phone screen");
    screenshot(&client, "1-sign-in.png").await;
    client.find(Locator::Id("username")).await.unwrap().send_keys("asha").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(&password("asha")).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();

    client.wait().for_element(Locator::Id("take-next")).await.expect("the queue page");
    let waiting = client.find_all(Locator::Css("#waiting li")).await.unwrap();
    assert_eq!(waiting.len(), 1, "one caller waiting");
    screenshot(&client, "2-queue.png").await;
    client.find(Locator::Id("take-next")).await.unwrap().click().await.unwrap();

    let player = client.wait().for_element(Locator::Id("voice-message")).await.expect("the voice message player");
    assert_eq!(player.attr("src").await.unwrap().as_deref(), Some("/cases/1/recording"));
    let phone = client.find(Locator::Id("phone")).await.unwrap().text().await.unwrap();
    assert_eq!(phone, "+911000000141", "the number is shown to the volunteer who took the case");
    screenshot(&client, "3-case.png").await;
    client.find(Locator::Id("outcome-no-answer")).await.unwrap().click().await.unwrap();
    client.find(Locator::Id("save-outcome")).await.unwrap().click().await.unwrap();

    let flash = client.wait().for_element(Locator::Css(".flash")).await.unwrap().text().await.unwrap();
    assert!(flash.contains("no answer"), "{flash}");
    assert!(client.find_all(Locator::Css("#waiting li")).await.unwrap().is_empty(), "the case left the list");
    screenshot(&client, "4-after-no-answer.png").await;
    client.close().await.unwrap();
    assert_eq!(app.only_case().await["status"], "queued", "back in the queue later, after the backoff");
}

/// The text of the element matching `css` once it contains `needle` (pages
/// reload at the same address, so an element found early may be the old one).
pub async fn text_containing(client: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("`{css}` never said `{needle}`; last: {last}");
}

#[tokio::test]
async fn an_admin_on_a_phone_uploads_a_prompt_and_rolls_it_back() {
    let profile = tempfile::TempDir::new().unwrap();
    let Some((_driver, client)) = browser(profile.path()).await else { return };
    let app = spawn_app().await;
    app.add_user("meera", "admin", "", "", "").await;
    let files = tempfile::TempDir::new().unwrap();
    let first = files.path().join("consent-take-1.wav");
    let second = files.path().join("consent-take-2.wav");
    std::fs::write(&first, super::prompts::laptop_wav(440.0, 1500)).unwrap();
    std::fs::write(&second, super::prompts::laptop_wav(550.0, 2500)).unwrap();

    client.goto(&format!("{}/login", app.address)).await.unwrap();
    client.find(Locator::Id("username")).await.unwrap().send_keys("meera").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(&password("meera")).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("header .who")).await.unwrap();
    client.goto(&format!("{}/admin/prompts", app.address)).await.unwrap();
    screenshot(&client, "5-prompt-matrix.png").await;
    client.find(Locator::Css("a[href='/admin/prompts/bn/consent']")).await.unwrap().click().await.unwrap();

    for (file, seconds) in [(&first, "1.5 s"), (&second, "2.5 s")] {
        let input = client.wait().for_element(Locator::Id("file")).await.unwrap();
        input.send_keys(file.to_str().unwrap()).await.unwrap();
        client.find(Locator::Id("upload")).await.unwrap().click().await.unwrap();
        let flash = text_containing(&client, ".flash", seconds).await;
        assert!(flash.contains("is now playing to callers"), "{flash}");
    }
    let playing = client.find(Locator::Id("now-playing")).await.unwrap().attr("src").await.unwrap().unwrap();
    assert!(playing.starts_with("/prompts/bn/consent."), "{playing}");
    screenshot(&client, "6-prompt-versions.png").await;

    client.find(Locator::Id("rollback")).await.unwrap().click().await.unwrap();
    // The page reloads at the same address: wait until it shows another recording.
    let mut after = playing.clone();
    for _ in 0..100 {
        if let Ok(player) = client.find(Locator::Id("now-playing")).await
            && let Ok(Some(src)) = player.attr("src").await
        {
            after = src;
        }
        if after != playing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(after, playing, "the earlier version plays again, under its own URL");
    let page = client.source().await.unwrap();
    assert!(page.contains("Now playing to callers: 1.5 s"), "the first take is active again");
    client.close().await.unwrap();
}

/// True when nothing on the page is wider than the screen.
async fn fits_the_screen(client: &Client) -> bool {
    let fits = "return document.documentElement.scrollWidth <= window.innerWidth";
    client.execute(fits, vec![]).await.unwrap() == json!(true)
}

#[tokio::test]
async fn an_admin_on_a_phone_edits_a_user_and_the_users_page_fits_the_screen() {
    let profile = tempfile::TempDir::new().unwrap();
    let Some((_driver, client)) = browser(profile.path()).await else { return };
    let app = spawn_app().await;
    app.add_user("meera", "admin", "", "", "").await;
    app.add_user("asha", "volunteer", "9", "hi", "+911000000431").await;
    let many = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,16,17,18,19,20,21,22,23,24,27,28,29,30,32,33,34,35";
    app.add_user("the.longest.username.here", "coordinator", many, "", "").await;

    client.goto(&format!("{}/login", app.address)).await.unwrap();
    client.find(Locator::Id("username")).await.unwrap().send_keys("meera").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys(&password("meera")).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("header .who")).await.unwrap();
    client.goto(&format!("{}/admin/users", app.address)).await.unwrap();
    assert_eq!(client.execute("return window.innerWidth", vec![]).await.unwrap(), json!(360));
    assert!(fits_the_screen(&client).await, "the folded list fits 360 pixels");

    // Unfold asha's card and give her a language the catalog lacks.
    client.find(Locator::Css("#user-asha summary")).await.unwrap().click().await.unwrap();
    assert!(fits_the_screen(&client).await, "an unfolded card fits");
    let languages = client.find(Locator::Id("languages-asha")).await.unwrap();
    languages.clear().await.unwrap();
    languages.send_keys("hi,xx").await.unwrap();
    client.find(Locator::Id("states-asha")).await.unwrap().send_keys(",10").await.unwrap();
    client.find(Locator::Css("#user-asha form.edit button")).await.unwrap().click().await.unwrap();
    let error = text_containing(&client, "#user-asha .error", "xx").await;
    assert!(error.contains("`xx` is not a language of the prompt catalog"), "{error}");
    let kept = client.find(Locator::Id("states-asha")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("9,10"), "what was typed is still there");
    assert!(fits_the_screen(&client).await, "a refusal fits too");
    screenshot(&client, "7-users-refused.png").await;

    let languages = client.find(Locator::Id("languages-asha")).await.unwrap();
    languages.clear().await.unwrap();
    languages.send_keys("hi,bn").await.unwrap();
    client.find(Locator::Css("#user-asha form.edit button")).await.unwrap().click().await.unwrap();
    let flash = text_containing(&client, ".flash", "asha").await;
    assert!(flash.contains("saved"), "{flash}");
    assert!(fits_the_screen(&client).await);
    screenshot(&client, "8-users-saved.png").await;
    client.close().await.unwrap();

    let asha = app.users.users().await.unwrap().into_iter().find(|u| u.username == "asha").unwrap();
    assert_eq!(asha.states.iter().map(|s| s.get()).collect::<Vec<_>>(), [9, 10]);
    assert_eq!(asha.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>(), ["bn", "hi"]);
}
