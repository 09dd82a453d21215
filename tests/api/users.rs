//! The users' store on either backend: what a user serves reads back as it
//! was given, and disabling or editing a user is all or nothing.

use reqwest::{Method, StatusCode};

use sampark::auth::{Profile, ProfileChange};

use super::helpers::{ApiSession, TestApp, spawn_app};

#[tokio::test]
async fn a_users_states_and_languages_read_back_sorted_and_an_admin_serves_none() {
    let app = spawn_app().await;
    app.add_user("two.states", "volunteer", "10,9", "hi,bn", "").await;
    app.add_user("the.admin", "admin", "", "", "").await;
    let users = app.users.users().await.unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["the.admin", "two.states"], "by username");
    let (admin, volunteer) = (&users[0], &users[1]);
    assert!(admin.states.is_empty() && admin.languages.is_empty());
    assert_eq!(volunteer.states.iter().map(|s| s.get()).collect::<Vec<_>>(), [9, 10]);
    let languages: Vec<&str> = volunteer.languages.iter().map(|l| l.as_str()).collect();
    assert_eq!(languages, ["bn", "hi"]);
    let (user, hash) = app.users.user_with_password("two.states").await.unwrap().unwrap();
    assert_eq!(&user, volunteer);
    assert!(hash.starts_with("$argon2id$"));
}

/// A server with one waiting caller, claimed by the volunteer `holder`.
async fn a_volunteer_holding_a_case() -> (TestApp, ApiSession) {
    let app = spawn_app().await;
    app.queue_caller("CA61000000000000000000000000000001", "+911000000065", "1", "9", None).await;
    app.add_user("holder", "volunteer", "9", "hi", "").await;
    let session = app.api_login("holder").await;
    let claimed = app.api(&session, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(claimed.status(), StatusCode::OK);
    (app, session)
}

#[tokio::test]
async fn a_disabling_that_fails_part_way_leaves_the_user_signed_in_and_holding_their_case() {
    let (app, session) = a_volunteer_holding_a_case().await;
    // Arrange: the database refuses to give the case back.
    if app.database.is_postgres() {
        app.database
            .execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            .await;
        app.database
            .execute(
                "CREATE TRIGGER no_release BEFORE UPDATE OF claimed_by ON cases FOR EACH ROW
                 WHEN (NEW.claimed_by IS NULL) EXECUTE FUNCTION refuse()",
            )
            .await;
    } else {
        app.database
            .execute(
                "CREATE TRIGGER no_release BEFORE UPDATE OF claimed_by ON cases WHEN NEW.claimed_by IS NULL
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await;
    }

    let disabled = app.users.set_user_disabled("holder", true, chrono::Utc::now()).await;

    assert!(disabled.is_err(), "the release failed");
    let holder = app.users.users().await.unwrap().into_iter().find(|u| u.username == "holder").unwrap();
    assert!(!holder.disabled, "not disabled while still holding a case");
    let queue = app.api(&session, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(queue.status(), StatusCode::OK, "still signed in");
    let held = app.database.scalar("SELECT count(*) FROM cases WHERE claimed_by IS NOT NULL").await;
    assert_eq!(held, 1);
}

#[tokio::test]
async fn an_edit_that_fails_part_way_leaves_the_user_as_they_were() {
    let app = spawn_app().await;
    app.add_user("asha", "volunteer", "9", "hi", "").await;
    // Arrange: the database refuses Bengali, the last thing the edit writes.
    if app.database.is_postgres() {
        app.database
            .execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            .await;
        app.database
            .execute(
                "CREATE TRIGGER no_bengali BEFORE INSERT ON user_languages FOR EACH ROW
                 WHEN (NEW.language = 'bn') EXECUTE FUNCTION refuse()",
            )
            .await;
    } else {
        app.database
            .execute(
                "CREATE TRIGGER no_bengali BEFORE INSERT ON user_languages WHEN NEW.language = 'bn'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .await;
    }
    let before = app.users.user("asha").await.unwrap().unwrap();
    let change = ProfileChange {
        role: Some("coordinator"),
        states: Some("10"),
        languages: Some("bn"),
        phone: Some("+911000000441"),
    };
    let profile = Profile::of(&before).with(&change, &|_| true).unwrap();

    let edited = app.users.update_profile("asha", &profile).await;

    assert!(edited.is_err(), "the last insert failed");
    assert_eq!(app.users.user("asha").await.unwrap().unwrap(), before, "role, states, phone as they were");
}

#[tokio::test]
async fn a_password_reset_gives_the_case_its_user_held_back_to_the_queue() {
    let (app, session) = a_volunteer_holding_a_case().await;

    let hash = sampark::auth::hash_password("a one-time password for holder").unwrap();
    app.users.reset_password("holder", &hash, chrono::Utc::now()).await.unwrap();

    let held = app.database.scalar("SELECT count(*) FROM cases WHERE claimed_by IS NOT NULL").await;
    assert_eq!(held, 0, "another volunteer can take the caller now");
    let queue = app.api(&session, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(queue.status(), StatusCode::UNAUTHORIZED, "the old session ended");
}
