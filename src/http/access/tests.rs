//! The extractors on a router of their own, driven with `oneshot` against
//! a real state (a fresh SQLite database): each answers as its contract
//! says, and checks in its order.

use std::net::SocketAddr;

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode, header},
    middleware::map_response,
    routing::{get, post},
};
use serde::Deserialize;
use tower::ServiceExt;

use super::{Account, Admin, Coordinator, Csrf, CsrfForm, CsrfUpload, NoFields};
use crate::http::{
    AppState,
    error::as_json,
    guard::{Admitted, Exotel, KooKoo},
    session::{Attempt, SignedIn, sign_in},
};

const KOOKOO_SECRET: &str = "kookoo-unit-test-secret";

/// A state on a fresh database, with the shipped flows and prompts.
async fn state(dir: &tempfile::TempDir) -> AppState {
    let root = env!("CARGO_MANIFEST_DIR");
    let env = |name: &str| {
        Some(match name {
            "SAMPARK_LISTEN" => "127.0.0.1:0".to_owned(),
            "SAMPARK_DATA_DIR" => dir.path().display().to_string(),
            "SAMPARK_DATABASE_URL" => format!("sqlite://{}", dir.path().join("sampark.db").display()),
            "SAMPARK_PUBLIC_URL" => "https://sampark.test".to_owned(),
            "SAMPARK_FLOWS_DIR" => format!("{root}/call_flows"),
            "SAMPARK_PROMPTS_DIR" => format!("{root}/prompts"),
            "SAMPARK_SPOOL_PATH" => dir.path().join("spool.jsonl").display().to_string(),
            "SAMPARK_KOOKOO_SECRET" => KOOKOO_SECRET.to_owned(),
            _ => return None,
        })
    };
    let settings = crate::config::Settings::from_sources(None, env).expect("test settings are valid");
    crate::startup::Application::build(settings).await.expect("the app builds").state()
}

/// A session for a new user of `role`: (token, CSRF token).
async fn session(app: &AppState, name: &str, role: &str) -> (String, String) {
    let password = format!("password-{name}-kite-river");
    let user = crate::auth::new_user(name, role, "9", "hi", "", &password, &|_| true).unwrap();
    app.users.create_user(&user, app.desk.now()).await.unwrap();
    let client = "127.0.0.1".parse().unwrap();
    let attempt = Attempt { username: name, password: &password, client, device: None };
    let Ok(session) = sign_in(app, attempt).await else { panic!("{name} signs in") };
    (session.token, session.csrf)
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

fn router(app: AppState) -> Router {
    let api =
        Router::new().route("/api/write", post(|_: Csrf<SignedIn>| async { "written" })).layer(map_response(as_json));
    Router::new()
        .route("/user", get(|who: SignedIn| async move { who.user.username }))
        .route("/account", get(|Account(who): Account| async move { who.user.username }))
        .route("/admin", get(|_: Admin| async { "admin" }))
        .route("/coordinator", get(|_: Coordinator| async { "coordinator" }))
        .route("/form", post(|CsrfForm(_, form): CsrfForm<SignedIn, Named>| async move { form.name }))
        .route("/admin-form", post(|_: CsrfForm<Admin, NoFields>| async { "changed" }))
        .route(
            "/upload",
            post(|upload: CsrfUpload<Admin>| async move { upload.file.map_or(0, |f| f.len()).to_string() }),
        )
        .route("/kookoo/{secret}", get(|a: Admitted<KooKoo>| async move { format!("{:?}", a.params) }))
        .route("/exotel/{secret}", get(|_: Admitted<Exotel>| async { "exotel" }))
        .merge(api)
        .with_state(app)
}

/// How a request proves who sent it.
enum Who<'a> {
    Nobody,
    Cookie(&'a str),
    Bearer(&'a str),
}

async fn send(
    router: &Router,
    method: Method,
    path: &str,
    who: Who<'_>,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(path).body(body).unwrap();
    request.headers_mut().extend(headers);
    match who {
        Who::Nobody => {}
        Who::Cookie(token) => {
            request.headers_mut().insert(header::COOKIE, format!("sampark_session={token}").parse().unwrap());
        }
        Who::Bearer(token) => {
            request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        }
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
}

async fn get_as(router: &Router, path: &str, who: Who<'_>) -> StatusCode {
    send(router, Method::GET, path, who, HeaderMap::new(), Body::empty()).await.0
}

fn form_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
    headers
}

async fn post_form(router: &Router, path: &str, who: Who<'_>, form: &str) -> (StatusCode, String) {
    let (status, _, body) = send(router, Method::POST, path, who, form_headers(), Body::from(form.to_owned())).await;
    (status, body)
}

#[tokio::test]
async fn a_user_with_a_one_time_password_reaches_only_what_takes_any_account() {
    let dir = tempfile::TempDir::new().unwrap();
    let app = state(&dir).await;
    let (_, _) = session(&app, "boss", "admin").await;
    let hash = crate::auth::one_time_password("boss", "river stones and mango leaves").unwrap();
    app.users.reset_password("boss", &hash, app.desk.now()).await.unwrap();
    let client = "127.0.0.1".parse().unwrap();
    let attempt = Attempt { username: "boss", password: "river stones and mango leaves", client, device: None };
    let Ok(session) = sign_in(&app, attempt).await else { panic!("boss signs in") };
    let router = router(app);

    for path in ["/user", "/admin", "/coordinator"] {
        let (status, headers, _) =
            send(&router, Method::GET, path, Who::Cookie(&session.token), HeaderMap::new(), Body::empty()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(headers[header::LOCATION], "/account/password", "{path}");
    }
    let (status, _, name) =
        send(&router, Method::GET, "/account", Who::Cookie(&session.token), HeaderMap::new(), Body::empty()).await;
    assert_eq!((status, name.as_str()), (StatusCode::OK, "boss"));
    let api = send(&router, Method::POST, "/api/write", Who::Bearer(&session.token), HeaderMap::new(), Body::empty());
    assert_eq!(api.await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_in_users_and_roles() {
    let dir = tempfile::TempDir::new().unwrap();
    let app = state(&dir).await;
    let (volunteer, _) = session(&app, "vol", "volunteer").await;
    let (coordinator, _) = session(&app, "coord", "coordinator").await;
    let (admin, _) = session(&app, "boss", "admin").await;
    let router = router(app);

    let (status, headers, _) = send(&router, Method::GET, "/user", Who::Nobody, HeaderMap::new(), Body::empty()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a page sends the signed-out to sign in");
    assert_eq!(headers[header::LOCATION], "/login");
    assert_eq!(get_as(&router, "/user", Who::Cookie("not-a-session")).await, StatusCode::SEE_OTHER);
    let (status, _, name) =
        send(&router, Method::GET, "/user", Who::Cookie(&volunteer), HeaderMap::new(), Body::empty()).await;
    assert_eq!((status, name.as_str()), (StatusCode::OK, "vol"));

    for (who, admin_status, coordinator_status) in [
        (&volunteer, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        (&coordinator, StatusCode::FORBIDDEN, StatusCode::OK),
        (&admin, StatusCode::OK, StatusCode::OK),
    ] {
        assert_eq!(get_as(&router, "/admin", Who::Bearer(who)).await, admin_status);
        assert_eq!(get_as(&router, "/coordinator", Who::Bearer(who)).await, coordinator_status);
    }
    assert_eq!(get_as(&router, "/admin", Who::Nobody).await, StatusCode::SEE_OTHER, "signed in before the role");
}

#[tokio::test]
async fn the_csrf_header_is_needed_with_a_cookie_and_not_with_a_bearer_token() {
    let dir = tempfile::TempDir::new().unwrap();
    let app = state(&dir).await;
    let (token, csrf) = session(&app, "writer", "volunteer").await;
    let router = router(app);
    let write = |who, given: Option<&str>| {
        let mut headers = HeaderMap::new();
        if let Some(given) = given {
            headers.insert("x-csrf-token", given.parse().unwrap());
        }
        send(&router, Method::POST, "/api/write", who, headers, Body::empty())
    };

    let (status, headers, body) = write(Who::Cookie(&token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, r#"{"error":"missing or wrong X-CSRF-Token"}"#);
    assert_eq!(write(Who::Cookie(&token), Some("nope")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(write(Who::Cookie(&token), Some(&csrf)).await.0, StatusCode::OK);
    assert_eq!(write(Who::Bearer(&token), None).await.0, StatusCode::OK, "a browser never sends a bearer token");
    let (status, _, body) = write(Who::Nobody, Some(&csrf)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the API says 401 where a page redirects");
    assert_eq!(body, r#"{"error":"sign in first"}"#);
}

#[tokio::test]
async fn a_form_is_checked_for_its_token_before_its_fields() {
    let dir = tempfile::TempDir::new().unwrap();
    let app = state(&dir).await;
    let (token, csrf) = session(&app, "clerk", "volunteer").await;
    let (admin, admin_csrf) = session(&app, "chief", "admin").await;
    let router = router(app);

    let (status, body) = post_form(&router, "/form", Who::Cookie(&token), "name=asha").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("did not come from Sampark"), "{body}");
    assert_eq!(post_form(&router, "/form", Who::Cookie(&token), "csrf=nope&name=asha").await.0, StatusCode::FORBIDDEN);
    let twice = format!("csrf={csrf}&csrf=nope&name=asha");
    assert_eq!(post_form(&router, "/form", Who::Cookie(&token), &twice).await.0, StatusCode::FORBIDDEN, "one token");
    assert_eq!(post_form(&router, "/form", Who::Cookie(&token), "").await.0, StatusCode::FORBIDDEN, "forged first");
    let right = post_form(&router, "/form", Who::Cookie(&token), &format!("csrf={csrf}&name=asha")).await;
    assert_eq!(right, (StatusCode::OK, "asha".to_owned()), "the form's fields, beside its token");
    let missing = post_form(&router, "/form", Who::Cookie(&token), &format!("csrf={csrf}")).await;
    assert_eq!(missing.0, StatusCode::UNPROCESSABLE_ENTITY, "then the fields");

    let volunteer = post_form(&router, "/admin-form", Who::Cookie(&token), &format!("csrf={csrf}")).await;
    assert_eq!(volunteer.0, StatusCode::FORBIDDEN, "the role before the token");
    let (status, _) = post_form(&router, "/admin-form", Who::Cookie(&admin), &format!("csrf={admin_csrf}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        post_form(&router, "/admin-form", Who::Cookie(&admin), &format!("csrf={csrf}")).await.0,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    assert_eq!(
        post_form(&router, "/admin-form", Who::Nobody, &format!("csrf={admin_csrf}")).await.0,
        StatusCode::SEE_OTHER
    );
}

fn multipart(csrf: Option<&str>, file: &[u8]) -> (HeaderMap, Body) {
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n");
        body.extend_from_slice(csrf.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n");
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ".parse().unwrap());
    (headers, Body::from(body))
}

#[tokio::test]
async fn an_upload_form_needs_its_token_too() {
    let dir = tempfile::TempDir::new().unwrap();
    let app = state(&dir).await;
    let (admin, csrf) = session(&app, "uploader", "admin").await;
    let router = router(app);
    let upload = |csrf, file: &'static [u8]| {
        let (headers, body) = multipart(csrf, file);
        send(&router, Method::POST, "/upload", Who::Cookie(&admin), headers, body)
    };
    assert_eq!(upload(None, b"RIFF....").await.0, StatusCode::FORBIDDEN);
    assert_eq!(upload(Some("nope"), b"RIFF....").await.0, StatusCode::FORBIDDEN);
    let (status, _, length) = upload(Some(&csrf), b"RIFF....").await;
    assert_eq!((status, length.as_str()), (StatusCode::OK, "8"));
    assert_eq!(upload(Some(&csrf), b"").await.2, "0", "an empty file is no file");
}

#[tokio::test]
async fn unsigned_gateways_admit_only_their_secret_from_a_known_peer() {
    let dir = tempfile::TempDir::new().unwrap();
    let router = router(state(&dir).await);
    let peer: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let admitted = |path: &str| {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    };
    let ok = admitted(&format!("/kookoo/{KOOKOO_SECRET}?sid=k-1&event=NewCall")).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body = axum::body::to_bytes(ok.into_body(), 1 << 16).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains(r#"("sid", "k-1")"#), "the query's parameters");
    assert_eq!(admitted("/kookoo/wrong-secret").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        admitted(&format!("/exotel/{KOOKOO_SECRET}")).await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "Exotel is off"
    );
    let no_peer = Request::get(format!("/kookoo/{KOOKOO_SECRET}")).body(Body::empty()).unwrap();
    assert_eq!(router.clone().oneshot(no_peer).await.unwrap().status(), StatusCode::NOT_FOUND, "fails closed");
}
