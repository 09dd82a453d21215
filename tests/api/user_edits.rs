//! Editing who a user is: role, states, languages and phone, with
//! `sampark users edit` and on `/admin/users`. Both judge by one rule:
//! states the directory knows, languages the prompt catalog has, a phone
//! that is a phone number, a whole that makes sense for the role. Each runs
//! on the test database of either backend.

use std::process::{Command, Output, Stdio};

use reqwest::{Method, StatusCode};

use super::helpers::{ApiSession, TestApp, spawn_app};

pub fn sampark(app: &TestApp) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sampark"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SAMPARK_CONFIG")
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .stdin(Stdio::null());
    command
}

fn run(app: &TestApp, args: &[&str]) -> Output {
    sampark(app).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The user `name` as the store has them.
async fn user(app: &TestApp, name: &str) -> sampark::auth::User {
    app.users.users().await.unwrap().into_iter().find(|u| u.username == name).unwrap()
}

fn codes(user: &sampark::auth::User) -> (Vec<u8>, Vec<&str>) {
    (user.states.iter().map(|s| s.get()).collect(), user.languages.iter().map(|l| l.as_str()).collect())
}

#[tokio::test]
async fn users_edit_changes_only_the_fields_given_and_writes_the_audit_log() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "+911000000401").await;

    let languages = run(&app, &["users", "edit", "asha", "--languages", "hi,bn", "--states", "10,9"]);

    assert!(languages.status.success(), "{}", stderr(&languages));
    let stdout = String::from_utf8_lossy(&languages.stdout);
    assert!(stdout.contains("asha: states 9 → 9,10; languages hi → bn,hi"), "{stdout}");
    let asha = user(&app, "asha").await;
    assert_eq!(codes(&asha), (vec![9, 10], vec!["bn", "hi"]));
    assert_eq!((asha.role.as_str(), asha.phone.as_deref()), ("volunteer", Some("+911000000401")), "untouched");

    let promoted = run(&app, &["users", "edit", "asha", "--role", "coordinator", "--languages", "", "--phone", ""]);
    assert!(promoted.status.success(), "{}", stderr(&promoted));
    let asha = user(&app, "asha").await;
    assert_eq!((asha.role.as_str(), asha.phone.as_deref()), ("coordinator", None));
    assert_eq!(codes(&asha), (vec![9, 10], vec![]), "an empty value clears");

    let log = app.audit.latest(10).await.unwrap();
    let edits: Vec<&str> =
        log.iter().filter(|e| e.action == "user_edit").filter_map(|e| e.details.as_deref()).collect();
    assert_eq!(
        edits,
        [
            "asha: role volunteer → coordinator; languages bn,hi → -; phone removed (command line)",
            "asha: states 9 → 9,10; languages hi → bn,hi (command line)",
        ],
        "newest first, never the number"
    );
}

#[tokio::test]
async fn users_edit_refuses_unknown_languages_states_and_users_and_changes_nothing() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let refusals = [
        (vec!["--languages", "xx"], "`xx` is not a language of the prompt catalog"),
        (vec!["--states", "99"], "`99` is not an LGD state code"),
        (vec!["--states", "9,abc"], "`abc` is not an LGD state code"),
        (vec!["--phone", "not a phone"], "phone is not a phone number"),
        (vec!["--languages", ""], "give the languages a volunteer speaks"),
        (vec!["--role", "owner"], "invalid value 'owner'"),
        (vec![], "nothing to change"),
    ];
    for (flags, why) in refusals {
        let mut args = vec!["users", "edit", "asha"];
        args.extend(&flags);
        let output = run(&app, &args);
        assert!(!output.status.success(), "{flags:?} was accepted");
        assert!(stderr(&output).contains(why), "{flags:?}: expected `{why}` in {}", stderr(&output));
    }
    let unknown = run(&app, &["users", "edit", "nobody", "--states", "9"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("there is no user `nobody`"), "{}", stderr(&unknown));
    for command in ["disable", "enable", "reset-password"] {
        let mut args = vec!["users", command, "nobody"];
        if command == "reset-password" {
            args.push("--password-stdin");
        }
        let output = run(&app, &args);
        assert!(!output.status.success() && stderr(&output).contains("there is no user `nobody`"), "{command}");
    }

    assert_eq!(codes(&user(&app, "asha").await), (vec![9], vec!["hi"]), "asha as she was");
    assert!(app.audit.latest(10).await.unwrap().is_empty(), "nothing done, nothing audited");
}

#[tokio::test]
async fn users_add_refuses_languages_the_catalog_lacks_and_states_the_directory_lacks() {
    let app = spawn_app().await;
    for (flags, why) in [
        (["--states", "9", "--languages", "xx"], "`xx` is not a language of the prompt catalog"),
        (["--states", "99", "--languages", "hi"], "`99` is not an LGD state code"),
    ] {
        let mut add = sampark(&app)
            .args(["users", "add", "ravi", "--role", "volunteer", "--password-stdin"])
            .args(flags)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut add.stdin.take().unwrap(), b"monsoon kites over the ganga\n").unwrap();
        let output = add.wait_with_output().unwrap();
        assert!(!output.status.success());
        assert!(stderr(&output).contains(why), "{}", stderr(&output));
    }
    assert!(app.users.users().await.unwrap().is_empty());
}

#[test]
fn every_users_argument_has_a_help_text() {
    for command in ["add", "edit", "reset-password", "disable", "enable"] {
        let output = Command::new(env!("CARGO_BIN_EXE_sampark")).args(["users", command, "--help"]).output().unwrap();
        let help = String::from_utf8(output.stdout).unwrap();
        let arguments = help.lines().skip_while(|l| !l.starts_with("Arguments:") && !l.starts_with("Options:"));
        for line in arguments.filter(|l| l.starts_with("  ")) {
            let described = line.trim_start().split("  ").filter(|s| !s.trim().is_empty()).count() > 1;
            let continued = line.starts_with("          ");
            assert!(described || continued, "`users {command}`: `{}` has no help text\n{help}", line.trim());
        }
    }
    let edit = Command::new(env!("CARGO_BIN_EXE_sampark")).args(["users", "edit", "--help"]).output().unwrap();
    let help = String::from_utf8(edit.stdout).unwrap();
    assert!(help.contains("[possible values: volunteer, coordinator, admin, central]"), "{help}");
}

/// POSTs a page's form with `session`'s cookie and CSRF token, without
/// following the redirect.
pub async fn post_form(app: &TestApp, session: &ApiSession, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = fields.to_vec();
    form.push(("csrf", &session.csrf));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", app.address))
        .header("Cookie", format!("sampark_session={}", session.token))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_admin_page_edits_a_user_by_the_same_rules_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    app.queue_caller("CA71000000000000000000000000000001", "+911000000411", "1", "10", None).await;
    app.add_user("meera", "admin", "", "", "").await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    let admin = app.api_login("meera").await;
    let asha = app.api_login("asha").await;
    let claim = |session| app.api(session, Method::POST, "/api/v1/queue/claim").send();
    assert_eq!(claim(&asha).await.unwrap().status(), StatusCode::NO_CONTENT, "a Bihar caller is not hers yet");
    let edit = |states: &'static str, languages: &'static str, phone: &'static str| {
        let fields = [("role", "volunteer"), ("states", states), ("languages", languages), ("phone", phone)];
        let admin = &admin;
        let app = &app;
        async move { post_form(app, admin, "/admin/users/asha/edit", &fields).await }
    };

    for (states, languages, phone, why) in [
        ("9,10", "xx", "+911000000412", "`xx` is not a language of the prompt catalog"),
        ("9,99", "hi", "+911000000412", "`99` is not an LGD state code"),
        ("9,10", "hi", "call me", "phone is not a phone number"),
        ("9,10", "", "+911000000412", "give the languages a volunteer speaks"),
    ] {
        let refused = edit(states, languages, phone).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{states} {languages} {phone}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(why), "expected `{why}` in the page");
        for typed in [states, languages, phone].into_iter().filter(|t| !t.is_empty()) {
            assert!(page.contains(&format!("value=\"{typed}\"")), "`{typed}` was kept");
        }
        assert!(page.contains("<details class=\"card user\" id=\"user-asha\" open"), "asha's card is open");
    }
    assert_eq!(codes(&user(&app, "asha").await), (vec![9], vec!["hi"]), "nothing changed");

    let saved = edit("10,9", "hi,bn", "+911000000412").await;

    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved.headers()["location"], "/admin/users?saved=asha");
    let edited = user(&app, "asha").await;
    assert_eq!(codes(&edited), (vec![9, 10], vec!["bn", "hi"]));
    assert_eq!(edited.phone.as_deref(), Some("+911000000412"));
    assert_eq!(claim(&asha).await.unwrap().status(), StatusCode::OK, "her session serves Bihar at once");
    let log = app.audit.latest(10).await.unwrap();
    let entry = log.iter().find(|e| e.action == "user_edit").expect("the edit is audited");
    assert_eq!(entry.username.as_deref(), Some("meera"));
    assert_eq!(entry.details.as_deref(), Some("asha: states 9 → 9,10; languages hi → bn,hi; phone set"));
    let unknown = post_form(&app, &admin, "/admin/users/nobody/edit", &[("role", "admin")]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let by_volunteer = post_form(&app, &asha, "/admin/users/asha/edit", &[("role", "admin")]).await;
    assert_eq!(by_volunteer.status(), StatusCode::FORBIDDEN, "only an admin edits users");
    assert_eq!(user(&app, "asha").await.role.as_str(), "volunteer");
}

#[tokio::test]
async fn the_admin_page_refuses_to_add_a_user_with_an_unknown_language_or_state_and_keeps_the_form() {
    let app = spawn_app().await;
    app.add_user("meera", "admin", "", "", "").await;
    let admin = app.api_login("meera").await;
    for (states, languages, why) in
        [("9", "hi,xx", "`xx` is not a language of the prompt catalog"), ("99", "hi", "`99` is not an LGD state code")]
    {
        let fields = [
            ("username", "ravi"),
            ("role", "coordinator"),
            ("states", states),
            ("languages", languages),
            ("phone", "+911000000421"),
            ("password", "monsoon kites over the ganga"),
        ];
        let refused = post_form(&app, &admin, "/admin/users", &fields).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text().await.unwrap();
        assert!(page.contains(why), "expected `{why}`");
        for kept in ["value=\"ravi\"", &format!("value=\"{states}\""), &format!("value=\"{languages}\"")] {
            assert!(page.contains(kept), "`{kept}` was kept");
        }
        assert!(page.contains("<option selected>coordinator</option>"), "the role was kept");
        assert!(!page.contains("monsoon kites"), "a password is never sent back");
    }
    assert_eq!(app.users.users().await.unwrap().len(), 1, "nobody added");
}

/// Nobody can take away the last admin: demoting or disabling the only
/// admin who can sign in would leave no one to manage users or undo it.
#[tokio::test]
async fn the_only_admin_cannot_be_demoted_or_disabled() {
    let app = spawn_app().await;
    app.add_user("boss", "admin", "", "", "").await;

    let demoted = run(&app, &["users", "edit", "boss", "--role", "coordinator", "--states", "9"]);
    let disabled = run(&app, &["users", "disable", "boss"]);

    for refused in [&demoted, &disabled] {
        assert!(!refused.status.success());
        assert!(stderr(refused).contains("the only admin who can sign in"), "{}", stderr(refused));
    }
    let boss = user(&app, "boss").await;
    assert_eq!((boss.role.as_str(), boss.disabled), ("admin", false), "nothing changed");

    // With a second admin, either may step down.
    app.add_user("deputy", "admin", "", "", "").await;
    let disabled = run(&app, &["users", "disable", "boss"]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let demoted = run(&app, &["users", "edit", "deputy", "--role", "volunteer", "--states", "9", "--languages", "hi"]);
    assert!(!demoted.status.success(), "deputy is now the only enabled admin");
}
