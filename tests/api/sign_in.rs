//! Signing in under attack: a flood of sign-ins, guessing and lock-outs,
//! sign-ins sent from other sites, weak passwords. Clients choose their
//! address with `X-Forwarded-For`, the server trusting 127.0.0.1 as a proxy.

use reqwest::{StatusCode, header};
use serde_json::json;

use super::{
    helpers::{Options, PUBLIC_URL, TestApp, password, spawn_app, spawn_app_with},
    twilio_sim::Call,
};

async fn behind_proxy(extra: &[(&'static str, &str)]) -> TestApp {
    let mut env = vec![("SAMPARK_TRUSTED_PROXIES", "127.0.0.1".to_owned())];
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    spawn_app_with(Options { env, ..Options::default() }).await
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A sign-in through the API from `address`, with any extra headers.
async fn api_sign_in(
    app: &TestApp,
    address: &str,
    username: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/api/v1/login", app.address))
        .header("X-Forwarded-For", address)
        .json(&json!({ "username": username, "password": password }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The `sampark_device` cookie a successful sign-in set, as `name=value`.
fn device_cookie(response: &reqwest::Response) -> String {
    let cookies = response.headers().get_all(header::SET_COOKIE);
    let cookie = cookies.iter().map(|v| v.to_str().unwrap()).find(|c| c.starts_with("sampark_device="));
    cookie.expect("a device cookie").split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_runs_at_most_the_cap_of_hashes_and_webhooks_still_answer() {
    // Arrange: one check at a time, and no waiting for a turn.
    let app = behind_proxy(&[("SAMPARK_LOGIN_CONCURRENCY", "1"), ("SAMPARK_LOGIN_WAIT_MS", "0")]).await;
    assert_eq!(app.password_checks.cap(), 1);

    // Act: 50 sign-ins for unknown users, each from its own address, and a
    // call ringing in the middle of them.
    let app = &app;
    let logins = (0..50).map(|n| {
        let address = format!("198.51.100.{}", n + 1);
        async move { api_sign_in(app, &address, &format!("nobody-{n}"), "not-a-password-at-all", &[]).await }
    });
    let (responses, call) = tokio::join!(futures::future::join_all(logins), async {
        tokio::task::yield_now().await;
        Call::start(app, "CA0f000000000000000000000000000001", "+911000000901").await
    });

    // Assert
    let statuses: Vec<StatusCode> = responses.iter().map(reqwest::Response::status).collect();
    let busy: Vec<&reqwest::Response> =
        responses.iter().filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(
        statuses.iter().all(|s| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
    assert!(!busy.is_empty(), "with every turn taken, sign-ins are refused: {statuses:?}");
    assert!(busy.iter().all(|r| r.headers().contains_key(header::RETRY_AFTER)));
    assert_eq!(app.password_checks.peak(), 1, "never more hashes at once than the cap");
    let wrong = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert_eq!(app.password_checks.checked(), wrong, "a refused sign-in hashed nothing");
    let counted = "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) FROM login_failures WHERE key LIKE 'addr:%'";
    let counted = usize::try_from(app.database.scalar(counted).await).unwrap();
    assert_eq!(counted, wrong, "each checked attempt was counted; a busy one touched nothing");
    assert!(call.twiml.gather.is_some() && !call.twiml.hangup, "the caller hears the menu: {}", call.twiml.raw);
}

#[tokio::test]
async fn a_busy_sign_in_page_says_so_and_when_to_retry() {
    let app = behind_proxy(&[("SAMPARK_LOGIN_CONCURRENCY", "1"), ("SAMPARK_LOGIN_WAIT_MS", "0")]).await;
    let pages = (0..30).map(|n| {
        let request = app.client.post(format!("{}/login", app.address));
        let form = [("username", format!("nobody-{n}")), ("password", "not-a-password-at-all".to_owned())];
        request.header("X-Forwarded-For", format!("203.0.113.{}", n + 1)).form(&form).send()
    });
    let responses = futures::future::join_all(pages).await;
    let busy = responses.into_iter().map(Result::unwrap).find(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE);
    let busy = busy.expect("some sign-ins found every turn taken");
    assert!(busy.headers().contains_key(header::RETRY_AFTER));
    assert!(busy.text().await.unwrap().contains("The server is busy: try again in a few seconds"));
}

#[tokio::test]
async fn strangers_failures_do_not_lock_the_user_out_elsewhere_or_on_a_known_device() {
    // Arrange: the volunteer signs in on their phone (address C), which
    // keeps its device cookie.
    let app = behind_proxy(&[]).await;
    app.add_user("target", "volunteer", "9", "hi", "").await;
    let (attacker, home, phone) = ("203.0.113.66", "198.51.100.2", "192.0.2.40");
    let first = api_sign_in(&app, phone, "target", &password("target"), &[]).await;
    assert_eq!(first.status(), 200);
    let device = device_cookie(&first);

    // Act: thirty wrong passwords from the attacker's address, and thirty
    // from the phone's own address (a shared carrier address).
    for address in [attacker, phone] {
        for _ in 0..30 {
            let response = api_sign_in(&app, address, "target", "wrong-password-guess", &[]).await;
            assert!([401, 429].contains(&response.status().as_u16()));
        }
    }

    // Assert: the attacker is slowed down, the volunteer is not.
    let attacker_again = api_sign_in(&app, attacker, "target", &password("target"), &[]).await;
    assert_eq!(attacker_again.status(), 429, "the guessing address waits, even with the right password");
    let from_home = api_sign_in(&app, home, "target", &password("target"), &[]).await;
    assert_eq!(from_home.status(), 200, "another address is not locked out");
    let cookie = [("Cookie", device.as_str())];
    let on_phone = api_sign_in(&app, phone, "target", &password("target"), &cookie).await;
    assert_eq!(on_phone.status(), 200, "the known device is not locked out, even at the guessing address");
    let stranger_at_phone = api_sign_in(&app, phone, "target", &password("target"), &[]).await;
    assert_eq!(stranger_at_phone.status(), 429, "without the device cookie that address still waits");
}

#[tokio::test]
async fn concurrent_guesses_from_one_address_check_at_most_the_allowance() {
    // Eight sign-ins in progress at once race in the database.
    let app = behind_proxy(&[("SAMPARK_LOGIN_CONCURRENCY", "8"), ("SAMPARK_LOGIN_WAIT_MS", "20000")]).await;
    app.add_user("target", "volunteer", "9", "hi", "").await;
    let (app, right) = (&app, password("target"));
    let guesses = (0..60).map(|n| {
        let guess = if n == 30 { right.clone() } else { format!("guess-number-{n}-is-wrong") };
        async move { api_sign_in(app, "203.0.113.77", "target", &guess, &[]).await.status() }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(s)).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 5, "at most the free allowance is checked: {statuses:?}");
    assert_eq!(checked + refused, 60, "{statuses:?}");
    assert!(app.password_checks.checked() <= 5, "the refused guesses were never hashed");
}

#[tokio::test]
async fn a_sign_in_sent_from_another_site_is_refused() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let form = [("username", "asha".to_owned()), ("password", password("asha"))];
    let client = no_redirects();
    let page = |headers: &[(&'static str, &'static str)]| {
        let mut request = client.post(format!("{}/login", app.address)).form(&form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    for forged in [
        &[("Origin", "https://evil.example")][..],
        &[("Origin", "null")],
        &[("Sec-Fetch-Site", "cross-site")],
        &[("Origin", "https://sampark.test.evil.example"), ("Sec-Fetch-Site", "cross-site")],
    ] {
        let response = page(forged).await.unwrap();
        assert_eq!(response.status(), 403, "{forged:?}");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
    }
    let api = app
        .client
        .post(format!("{}/api/v1/login", app.address))
        .header("Origin", "https://evil.example")
        .json(&json!({ "username": "asha", "password": password("asha") }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM sessions").await, 0, "nobody was signed in");

    let own_page = page(&[("Origin", PUBLIC_URL), ("Sec-Fetch-Site", "same-origin")]).await.unwrap();
    assert_eq!(own_page.status(), 303, "Sampark's own page signs in");
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn weak_passwords_are_refused_on_the_admin_page() {
    let app = spawn_app().await;
    app.add_user("admin1", "admin", "", "", "").await;
    let admin = app.api_login("admin1").await;
    let client = no_redirects();
    let add = |username: &'static str, password: &'static str| {
        let form = [
            ("csrf", admin.csrf.as_str()),
            ("username", username),
            ("role", "volunteer"),
            ("states", "9"),
            ("languages", "hi"),
            ("password", password),
        ];
        let cookie = format!("sampark_session={}", admin.token);
        client.post(format!("{}/admin/users", app.address)).header("Cookie", cookie).form(&form).send()
    };
    for (weak, why) in [
        ("", "blank"),
        ("          ", "blank"),
        ("zzzzzzzzzzzz", "one character repeated"),
        ("password123", "too easy to guess"),
        ("ravi.kumar1", "too easy to guess"),
    ] {
        let page = add("ravi.kumar", weak).await.unwrap().text().await.unwrap();
        assert!(page.contains(why), "{weak:?}: {page}");
    }
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM users WHERE username = 'ravi.kumar'").await, 0);
    assert_eq!(add("ravi.kumar", "monsoon kites over the ganga").await.unwrap().status(), 303);
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM users WHERE username = 'ravi.kumar'").await, 1);
}
