//! A one-time password an admin sets (`sampark users reset-password`, or
//! the form on `/admin/users`): the user's sessions end at once, the next
//! sign-in lands on the password page, and every other page and API call
//! is refused until they choose a password of their own. Anyone may change
//! their own password on the same page.

use std::process::Stdio;

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use super::{
    helpers::{ApiSession, TestApp, password, spawn_app},
    user_edits::{post_form, sampark},
};

const ONE_TIME: &str = "river stones and mango leaves";
const HER_OWN: &str = "a lantern by the old well";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in on the page: where it sends the browser, and the session (its
/// CSRF token read from the page it lands on).
async fn page_sign_in(app: &TestApp, name: &str, password: &str) -> (String, Option<ApiSession>) {
    let form = [("username", name), ("password", password)];
    let response = no_redirects().post(format!("{}/login", app.address)).form(&form).send().await.unwrap();
    if response.status() != StatusCode::SEE_OTHER {
        return (response.status().to_string(), None);
    }
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let cookies = response.headers().get_all(header::SET_COOKIE);
    let token = cookies
        .iter()
        .filter_map(|v| v.to_str().unwrap().strip_prefix("sampark_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .next()
        .unwrap();
    let landed = get(app, &token, &location).await.text().await.unwrap();
    let csrf = landed.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (location, Some(ApiSession { token, csrf }))
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    let cookie = format!("sampark_session={token}");
    no_redirects().get(format!("{}{path}", app.address)).header("Cookie", cookie).send().await.unwrap()
}

async fn api_sign_in(app: &TestApp, name: &str, password: &str) -> reqwest::Response {
    let body = json!({ "username": name, "password": password });
    app.client.post(format!("{}/api/v1/login", app.address)).json(&body).send().await.unwrap()
}

/// Signed in with `one_time`, `name` reaches the password page and
/// nothing else, until they choose their own; then everything again.
async fn confined_until_they_choose_their_own(app: &TestApp, name: &str, one_time: &str) {
    let (landing, session) = page_sign_in(app, name, one_time).await;
    assert_eq!(landing, "/account/password", "the sign-in lands on the password page");
    let session = session.unwrap();
    let page = get(app, &session.token, "/account/password").await.text().await.unwrap();
    assert!(page.contains("An admin set a one-time password for you"), "{page}");
    for path in ["/", "/cases/1", "/reports", "/admin/users", "/admin/audit"] {
        let refused = get(app, &session.token, path).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(refused.headers()[header::LOCATION], "/account/password", "{path}");
    }
    let claim = post_form(app, &session, "/queue/claim", &[]).await;
    assert_eq!(claim.headers()[header::LOCATION], "/account/password", "no case taken");
    let api = api_sign_in(app, name, one_time).await;
    assert_eq!(api.status(), StatusCode::OK, "the API signs in too");
    let api: Value = api.json().await.unwrap();
    assert_eq!(api["user"]["must_change_password"], true);
    let bearer = ApiSession { token: api["token"].as_str().unwrap().to_owned(), csrf: String::new() };
    for (method, path) in [(Method::GET, "/api/v1/queue"), (Method::POST, "/api/v1/queue/claim")] {
        let refused = app.api(&bearer, method, path).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "choose a new password first, at /account/password");
    }

    // Refused: the one-time one again, a wrong current one, two that
    // differ, a weak one.
    for (current, new, again, why) in [
        (one_time, one_time, one_time, "not the one you have now"),
        ("not what was given", HER_OWN, HER_OWN, "That is not your password now"),
        (one_time, HER_OWN, "a lantern by the new well", "the two new passwords differ"),
        (one_time, "password1234", "password1234", "too easy to guess"),
    ] {
        let fields = [("current", current), ("new", new), ("again", again)];
        let refused = post_form(app, &session, "/account/password", &fields).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(refused.text().await.unwrap().contains(why), "{why}");
    }
    assert_eq!(get(app, &session.token, "/").await.status(), StatusCode::SEE_OTHER, "still confined");

    let fields = [("current", one_time), ("new", HER_OWN), ("again", HER_OWN)];
    let changed = post_form(app, &session, "/account/password", &fields).await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(changed.headers()[header::LOCATION], "/");
    assert_eq!(get(app, &session.token, "/").await.status(), StatusCode::OK, "free to work");
    let other = app.api(&bearer, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED, "the other session ended with the one-time password");
    assert_eq!(api_sign_in(app, name, one_time).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(page_sign_in(app, name, HER_OWN).await.0, "/", "her own password signs in as usual");
    let log = app.audit.latest(10).await.unwrap();
    assert!(log.iter().any(|e| e.action == "password_change" && e.username.as_deref() == Some(name)));
}

#[tokio::test]
async fn a_reset_on_the_admin_page_ends_the_users_sessions_and_confines_them_until_they_choose_their_own() {
    let app = spawn_app().await;
    app.add_user("meera", "admin", "", "", "").await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let admin = app.api_login("meera").await;
    let before = app.api_login("asha").await;
    let (_, page_before) = page_sign_in(&app, "asha", &password("asha")).await;

    let weak = post_form(&app, &admin, "/admin/users/asha/password", &[("password", "password123")]).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = weak.text().await.unwrap();
    assert!(page.contains("too easy to guess") && page.contains("id=\"user-asha\" open"), "said beside her card");
    assert_eq!(app.api(&before, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 200, "nothing changed");

    let reset = post_form(&app, &admin, "/admin/users/asha/password", &[("password", ONE_TIME)]).await;

    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert_eq!(reset.headers()[header::LOCATION], "/admin/users?reset=asha");
    assert_eq!(app.api(&before, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 401, "ended");
    assert_eq!(get(&app, &page_before.unwrap().token, "/").await.headers()[header::LOCATION], "/login", "ended");
    assert_eq!(api_sign_in(&app, "asha", &password("asha")).await.status(), 401, "the old password is gone");
    let listed = get(&app, &admin.token, "/admin/users?reset=asha").await.text().await.unwrap();
    assert!(listed.contains("asha: एक बार का पासवर्ड"), "the admin is told");
    assert!(listed.contains("must choose a password"), "and sees it pending");
    let entry = app.audit.latest(1).await.unwrap().remove(0);
    assert_eq!((entry.action.as_str(), entry.username.as_deref()), ("password_reset", Some("meera")));
    assert_eq!(entry.details.as_deref(), Some("asha"));
    let unknown = post_form(&app, &admin, "/admin/users/nobody/password", &[("password", ONE_TIME)]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    confined_until_they_choose_their_own(&app, "asha", ONE_TIME).await;
    assert!(!app.users.users().await.unwrap().iter().any(|u| u.must_change_password));
}

#[tokio::test]
async fn a_reset_on_the_command_line_ends_the_users_sessions_and_confines_them_until_they_choose_their_own() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let before = app.api_login("asha").await;
    let reset = |password: &'static str| {
        let mut child = sampark(&app)
            .args(["users", "reset-password", "asha", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };

    let weak = reset("password1234");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too easy to guess"));
    assert_eq!(app.api(&before, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 200, "nothing changed");
    let done = reset(ONE_TIME);

    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(String::from_utf8_lossy(&done.stdout).contains("asha: one-time password set"));
    assert_eq!(app.api(&before, Method::GET, "/api/v1/queue").send().await.unwrap().status(), 401, "ended");
    let entry = app.audit.latest(1).await.unwrap().remove(0);
    assert_eq!((entry.action.as_str(), entry.user_id), ("password_reset", None));
    assert_eq!(entry.details.as_deref(), Some("asha (command line)"));
    confined_until_they_choose_their_own(&app, "asha", ONE_TIME).await;
}

#[tokio::test]
async fn anyone_changes_their_own_password_on_the_same_page_and_their_other_sessions_end() {
    let app = spawn_app().await;
    app.add_user("meera", "admin", "", "", "").await;
    let elsewhere = app.api_login("meera").await;
    let (landing, session) = page_sign_in(&app, "meera", &password("meera")).await;
    assert_eq!(landing, "/");
    let session = session.unwrap();
    let page = get(&app, &session.token, "/account/password").await.text().await.unwrap();
    assert!(page.contains("Your password now") && !page.contains("one-time password for you"));

    let fields = [("current", password("meera")), ("new", HER_OWN.to_owned()), ("again", HER_OWN.to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let changed = post_form(&app, &session, "/account/password", &fields).await;

    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&app, &session.token, "/admin/users").await.status(), StatusCode::OK, "this session stays");
    let other = app.api(&elsewhere, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED, "the other one ends");
    assert_eq!(api_sign_in(&app, "meera", &password("meera")).await.status(), 401);
    assert_eq!(api_sign_in(&app, "meera", HER_OWN).await.status(), 200);
}
