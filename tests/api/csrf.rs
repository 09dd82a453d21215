//! Every route that changes something refuses a cookie session without its
//! CSRF token (or with another), and changes nothing. The table is checked
//! against the routers' source, so a new state-changing route must join it.

use reqwest::{Method, StatusCode, multipart};
use serde_json::{Value, json};

use super::helpers::{TestApp, password, repo_path, spawn_app};

/// How a route's body is sent, apart from its CSRF token.
#[derive(Clone, Copy)]
enum Body {
    /// A page's URL-encoded form with these fields.
    Form(&'static [(&'static str, &'static str)]),
    /// A page's multipart upload form with a file.
    Upload,
    /// An API call: JSON, or audio for the upload.
    Json(&'static str),
    Audio,
    Empty,
}

/// (method, route as the router names it, a path it matches, body).
const STATE_CHANGING: &[(&str, &str, &str, Body)] = &[
    ("POST", "/logout", "/logout", Body::Form(&[])),
    (
        "POST",
        "/account/password",
        "/account/password",
        Body::Form(&[
            ("current", "password-boss-kite-river"),
            ("new", "quartz-violin-meadow-42"),
            ("again", "quartz-violin-meadow-42"),
        ]),
    ),
    ("POST", "/queue/claim", "/queue/claim", Body::Form(&[])),
    ("POST", "/cases/{id}/outcome", "/cases/1/outcome", Body::Form(&[("outcome", "resolved")])),
    ("POST", "/cases/{id}/release", "/cases/1/release", Body::Form(&[])),
    ("POST", "/cases/{id}/call", "/cases/1/call", Body::Form(&[])),
    (
        "POST",
        "/admin/users",
        "/admin/users",
        Body::Form(&[("username", "mallory"), ("role", "admin"), ("password", "quartz-violin-meadow-42")]),
    ),
    (
        "POST",
        "/admin/users/{name}/edit",
        "/admin/users/target/edit",
        Body::Form(&[("role", "admin"), ("states", ""), ("languages", ""), ("phone", "")]),
    ),
    (
        "POST",
        "/admin/users/{name}/password",
        "/admin/users/target/password",
        Body::Form(&[("password", "quartz-violin-meadow-42")]),
    ),
    ("POST", "/admin/users/{name}/disable", "/admin/users/target/disable", Body::Form(&[])),
    ("POST", "/admin/users/{name}/enable", "/admin/users/target/enable", Body::Form(&[])),
    ("POST", "/admin/prompts/{lang}/{key}", "/admin/prompts/hi/welcome", Body::Upload),
    ("POST", "/admin/prompts/{lang}/{key}/rollback", "/admin/prompts/hi/welcome/rollback", Body::Form(&[])),
    (
        "POST",
        "/admin/prompts/{lang}/{key}/versions/{id}/activate",
        "/admin/prompts/hi/welcome/versions/1/activate",
        Body::Form(&[]),
    ),
    ("POST", "/admin/prompts/{lang}/{key}/use-text", "/admin/prompts/hi/welcome/use-text", Body::Form(&[])),
    ("POST", "/cases/{id}/pin", "/cases/1/pin", Body::Form(&[("pin_code", "110001")])),
    ("POST", "/people/import", "/people/import", Body::Upload),
    ("POST", "/people/import/confirm", "/people/import/confirm", Body::Form(&[("sha256", "00"), ("source", "x")])),
    ("POST", "/people/review/{id}", "/people/review/1", Body::Form(&[("code", "183")])),
    ("POST", "/people/{id}/settle", "/people/1/settle", Body::Form(&[("field", "name"), ("value", "x")])),
    ("POST", "/cases/{id}/hand-over", "/cases/1/hand-over", Body::Form(&[("unit", "delhi"), ("note", "take it")])),
    ("POST", "/api/v1/queue/claim", "/api/v1/queue/claim", Body::Empty),
    ("POST", "/api/v1/cases/{id}/outcome", "/api/v1/cases/1/outcome", Body::Json(r#"{"outcome":"resolved"}"#)),
    ("POST", "/api/v1/cases/{id}/release", "/api/v1/cases/1/release", Body::Empty),
    ("POST", "/api/v1/cases/{id}/hand-over", "/api/v1/cases/1/hand-over", Body::Json(r#"{"unit":"delhi","note":"n"}"#)),
    ("PUT", "/api/v1/prompts/{lang}/{key}", "/api/v1/prompts/hi/welcome", Body::Audio),
    ("POST", "/api/v1/prompts/{lang}/{key}/rollback", "/api/v1/prompts/hi/welcome/rollback", Body::Empty),
    (
        "POST",
        "/api/v1/prompts/{lang}/{key}/versions/{id}/activate",
        "/api/v1/prompts/hi/welcome/versions/1/activate",
        Body::Empty,
    ),
    ("DELETE", "/api/v1/prompts/{lang}/{key}/active", "/api/v1/prompts/hi/welcome/active", Body::Empty),
];

/// State-changing routes without a CSRF token: sign-ins (checked by their
/// origin instead, before any session exists) and gateways' webhooks
/// (checked by signature or secret).
fn exempt(route: &str) -> bool {
    ["/login", "/api/v1/login"].contains(&route)
        || ["/twilio/", "/plivo/", "/kookoo/", "/exotel/"].iter().any(|p| route.starts_with(p))
}

/// Every (method, route) the routers under `src/http` register with POST,
/// PUT or DELETE, read from their `.route("…", …)` calls.
fn registered_state_changing_routes() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![repo_path("src/http")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for call in source.split(".route(\"").skip(1) {
                    let (route, rest) = call.split_once('"').unwrap();
                    let args = rest.split(".route(").next().unwrap();
                    for (verb, method) in [("post(", "POST"), ("put(", "PUT"), ("delete(", "DELETE")] {
                        if args.contains(verb) {
                            found.push((method.to_owned(), route.to_owned()));
                        }
                    }
                }
            }
        }
    }
    found
}

#[test]
fn the_table_names_every_state_changing_route() {
    let registered = registered_state_changing_routes();
    assert!(registered.len() > STATE_CHANGING.len(), "the routers were read: {registered:?}");
    for (method, route) in &registered {
        let listed = STATE_CHANGING.iter().any(|(m, r, _, _)| m == method && r == route);
        assert!(listed || exempt(route), "{method} {route} changes something: add it to STATE_CHANGING");
    }
    for (method, route, _, _) in STATE_CHANGING {
        assert!(registered.iter().any(|(m, r)| m == method && r == route), "{method} {route} is not a route");
    }
}

/// Sends the route's request with the session's cookie and `csrf` as its
/// token (`None`: no token at all).
async fn send(app: &TestApp, cookie: &str, route: &(&str, &str, &str, Body), csrf: Option<&str>) -> reqwest::Response {
    let (method, _, path, body) = *route;
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let request = app.client.request(method, format!("{}{path}", app.address)).header("Cookie", cookie);
    let request = match body {
        Body::Form(fields) => {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            form.extend(csrf.map(|c| ("csrf", c)));
            request.form(&form)
        }
        Body::Upload => {
            let file = multipart::Part::bytes(super::prompts::laptop_wav(440.0, 1500)).file_name("welcome.wav");
            let form = multipart::Form::new().part("file", file);
            request.multipart(match csrf {
                Some(c) => form.text("csrf", c.to_owned()),
                None => form,
            })
        }
        Body::Json(json) => api_token(request.header("Content-Type", "application/json").body(json), csrf),
        Body::Audio => {
            let wav = super::prompts::laptop_wav(440.0, 1500);
            api_token(request.header("Content-Type", "audio/wav").body(wav), csrf)
        }
        Body::Empty => api_token(request, csrf),
    };
    request.send().await.unwrap()
}

fn api_token(request: reqwest::RequestBuilder, csrf: Option<&str>) -> reqwest::RequestBuilder {
    match csrf {
        Some(c) => request.header("X-CSRF-Token", c),
        None => request,
    }
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_cookie_session_without_its_csrf_token() {
    let app = spawn_app().await;
    app.queue_caller("CA0c000000000000000000000000000001", "+911000000301", "1", "9", None).await;
    app.add_user("boss", "admin", "", "", "+911000000998").await;
    app.add_user("target", "volunteer", "9", "hi", "").await;
    let boss = app.api_login("boss").await;
    let other = app.api_login("target").await;
    let cookie = format!("sampark_session={}", boss.token);

    for route in STATE_CHANGING {
        for csrf in [None, Some("forged"), Some(other.csrf.as_str())] {
            let response = send(&app, &cookie, route, csrf).await;
            let (method, _, path, _) = route;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path} with {csrf:?}");
            if path.starts_with("/api/") {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body, json!({"error": "missing or wrong X-CSRF-Token"}), "{method} {path}");
            }
        }
    }

    // Nothing changed: no audit entry, the session, users, case and prompt as they were.
    assert!(app.audit.latest(50).await.unwrap().is_empty(), "nothing was done");
    let queue = app.api(&boss, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(queue.status(), 200, "not signed out");
    let users = app.users.users().await.unwrap();
    assert!(!users.iter().any(|u| u.username == "mallory"), "no user added");
    assert!(users.iter().all(|u| !u.disabled), "nobody disabled");
    let target = users.iter().find(|u| u.username == "target").unwrap();
    assert_eq!(target.role.as_str(), "volunteer", "nobody edited");
    assert!(users.iter().all(|u| !u.must_change_password), "no password reset");
    assert_eq!(
        app.client
            .post(format!("{}/api/v1/login", app.address))
            .json(&json!({"username": "boss", "password": password("boss")}))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "boss's password as it was"
    );
    let versions = app.api(&boss, Method::GET, "/api/v1/prompts/hi/welcome/versions").send().await.unwrap();
    assert_eq!(versions.json::<Value>().await.unwrap(), json!([]), "nothing uploaded");
    let claimed = app.api(&other, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(claimed.status(), 200, "the case was still waiting");

    // The same requests with the token go through (two of them, to show
    // the table's requests are real; redirects are followed).
    let take = send(&app, &cookie, &STATE_CHANGING[2], Some(&boss.csrf)).await;
    assert_eq!(take.status(), 200);
    let add = send(&app, &cookie, &STATE_CHANGING[6], Some(&boss.csrf)).await;
    assert_eq!(add.status(), 200);
    assert!(app.users.users().await.unwrap().iter().any(|u| u.username == "mallory"), "added");
}
