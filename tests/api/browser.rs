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

use super::{helpers::spawn_app, twilio_sim::Call};

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| PathBuf::from(dir).join(program)).find(|p| p.is_file())
}

/// ChromeDriver on a free port, and a session in headless Chromium.
async fn browser(profile: &std::path::Path) -> Option<(Child, Client)> {
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
            "mobileEmulation": { "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 2.0 } },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=360,740", format!("--user-data-dir={}", profile.display()),
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

async fn screenshot(client: &Client, name: &str) {
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
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CAe0000000000000000000000000000001", "+919800000141").await;
    for keys in ["1", "1", "9#", "187#", "1", "1"] {
        call.press(keys).await;
    }
    call.leave_message("https://recordings.example/rec-1.wav").await;
    call.hang_up().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;

    client.goto(&format!("{}/login", app.address)).await.unwrap();
    let width = client.execute("return window.innerWidth", vec![]).await.unwrap();
    assert_eq!(width, json!(360), "a 360-pixel phone screen");
    screenshot(&client, "1-sign-in.png").await;
    client.find(Locator::Id("username")).await.unwrap().send_keys("asha").await.unwrap();
    client.find(Locator::Id("password")).await.unwrap().send_keys("password-asha").await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();

    client.wait().for_element(Locator::Id("take-next")).await.expect("the queue page");
    let waiting = client.find_all(Locator::Css("#waiting li")).await.unwrap();
    assert_eq!(waiting.len(), 1, "one caller waiting");
    screenshot(&client, "2-queue.png").await;
    client.find(Locator::Id("take-next")).await.unwrap().click().await.unwrap();

    let player = client.wait().for_element(Locator::Id("voice-message")).await.expect("the voice message player");
    assert_eq!(player.attr("src").await.unwrap().as_deref(), Some("/cases/1/recording"));
    let phone = client.find(Locator::Id("phone")).await.unwrap().text().await.unwrap();
    assert_eq!(phone, "+919800000141", "the number is shown to the volunteer who took the case");
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
