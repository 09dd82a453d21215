//! The domains' stores used directly, on whichever backend the tests run
//! on: the coordinators' figures count only the cases the scope covers, and
//! prompt versions written at once by several instances all land.

use reqwest::Method;
use sampark::{
    auth::Role,
    domain::{Language, StateCode},
    prompts::{NewPromptVersion, PromptKey},
    queue::Scope,
    reports::{DayOutcomes, DistrictCount},
};
use serde_json::json;

use super::helpers::spawn_app;

fn scope(role: Role, states: &[u8], languages: &[&str]) -> Scope {
    Scope {
        user_id: 0,
        role,
        states: states.iter().map(|s| StateCode::new(*s).unwrap()).collect(),
        languages: languages.iter().map(|l| Language::parse(l).unwrap()).collect(),
        units: Vec::new(),
    }
}

#[tokio::test]
async fn the_figures_count_only_the_cases_in_scope() {
    // Arrange: two callers from state 9, one from state 10, all in Hindi.
    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000001", "+911000000171", "1", "9", None).await;
    app.queue_caller("CAe0000000000000000000000000000002", "+911000000172", "1", "9", None).await;
    app.queue_caller("CAe0000000000000000000000000000003", "+911000000173", "1", "10", None).await;
    let (up, bihar) = (scope(Role::Coordinator, &[9], &[]), scope(Role::Coordinator, &[10], &[]));
    let admin = scope(Role::Admin, &[], &[]);
    let now = (app.calls.clock())();

    // Waiting, by state and district (none was asked for): most waiting first.
    let waiting = |state: u8, waiting: i64| DistrictCount {
        home_state_code: StateCode::new(state).ok(),
        home_district_code: None,
        waiting,
    };
    assert_eq!(app.reports.waiting_by_district(&up, now).await.unwrap(), vec![waiting(9, 2)]);
    assert_eq!(app.reports.waiting_by_district(&admin, now).await.unwrap(), vec![waiting(9, 2), waiting(10, 1)]);
    let bengali = scope(Role::Volunteer, &[9], &["bn"]);
    assert_eq!(app.reports.waiting_by_district(&bengali, now).await.unwrap(), vec![], "not their language");

    // Act: a volunteer of state 9 calls one back ten minutes later; nobody answers.
    app.add_user("worker", "volunteer", "9", "hi", "").await;
    let worker = app.api_login("worker").await;
    let claimed: serde_json::Value =
        app.api(&worker, Method::POST, "/api/v1/queue/claim").send().await.unwrap().json().await.unwrap();
    app.clock.advance(600);
    let path = format!("/api/v1/cases/{}/outcome", claimed["id"]);
    let answered = app.api(&worker, Method::POST, &path).json(&json!({"outcome": "no_answer"})).send().await.unwrap();
    assert_eq!(answered.status(), 200);
    let now = (app.calls.clock())();

    // Assert
    let today = now.with_timezone(&sampark::reports::ist()).format("%Y-%m-%d").to_string();
    let per_day = app.reports.outcomes_per_day(&up, now - chrono::Duration::days(14)).await.unwrap();
    assert_eq!(per_day, vec![DayOutcomes { day: today, outcome: "no_answer".to_owned(), count: 1 }]);
    assert_eq!(app.reports.outcomes_per_day(&bihar, now - chrono::Duration::days(14)).await.unwrap(), vec![]);
    let delays = app.reports.first_callback_delays(&up).await.unwrap();
    assert!(
        matches!(delays.as_slice(), [d] if (600..660).contains(d)),
        "ten minutes to the first callback: {delays:?}"
    );
    assert_eq!(app.reports.first_callback_delays(&bihar).await.unwrap(), Vec::<i64>::new());
    let activity = app.reports.attempts_by_user(now - chrono::Duration::days(7)).await.unwrap();
    assert!(matches!(activity.as_slice(), [(_, 1, at)] if *at <= now), "one callback: {activity:?}");
    assert_eq!(app.reports.waiting_by_district(&up, now).await.unwrap(), vec![waiting(9, 1)], "one backs off");
}

#[tokio::test]
async fn the_export_holds_only_the_cases_in_scope() {
    use futures::TryStreamExt;

    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000011", "+911000000181", "1", "9", None).await;
    app.queue_caller("CAe0000000000000000000000000000012", "+911000000182", "1", "10", None).await;
    let states = |scope: Scope| {
        let reports = app.reports.clone();
        async move {
            let cases: Vec<_> = reports.export_scoped_cases(&scope).try_collect().await.unwrap();
            cases.iter().map(|c| c.home_state_code.map(StateCode::get)).collect::<Vec<_>>()
        }
    };
    assert_eq!(states(scope(Role::Coordinator, &[10], &[])).await, vec![Some(10)]);
    assert_eq!(states(scope(Role::Volunteer, &[9], &["hi"])).await, vec![Some(9)]);
    assert_eq!(states(scope(Role::Volunteer, &[9], &["bn"])).await, Vec::<Option<u8>>::new());
    assert_eq!(states(scope(Role::Admin, &[], &[])).await, vec![Some(9), Some(10)]);
}

/// A version as an upload stores it (the store takes the audio as given).
fn stored_version(language: &str, key: &str, n: u8) -> NewPromptVersion {
    NewPromptVersion {
        language: Language::parse(language).unwrap(),
        key: PromptKey::parse(key).unwrap(),
        sha256: format!("{n:064x}"),
        wav: vec![n; 64],
        duration_ms: 1000,
        original: vec![n; 32],
        original_format: "wav".to_owned(),
        synthetic: false,
        uploaded_by: "cli:test".to_owned(),
        uploaded_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn concurrent_uploads_of_one_prompt_all_land_and_one_stays_active() {
    // Arrange: several instances (here, tasks) store versions of one prompt at once.
    let app = spawn_app().await;
    let store = app.prompts.store().clone();
    let uploads: Vec<_> = (1..=8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.add_version(&stored_version("hi", "welcome", n)).await })
        })
        .collect();

    // Act
    let stored: Vec<_> = futures::future::join_all(uploads).await.into_iter().map(|r| r.unwrap()).collect();

    // Assert: none collided on the one-active index; the last stored is the active one.
    for result in &stored {
        assert!(result.is_ok(), "an upload failed: {result:?}");
    }
    let hi = Language::parse("hi").unwrap();
    let welcome = PromptKey::parse("welcome").unwrap();
    let versions = store.versions(&hi, &welcome).await.unwrap();
    assert_eq!(versions.len(), 8);
    assert_eq!(versions.iter().filter(|v| v.active).count(), 1);
    assert!(versions[0].active, "the newest version is the active one");
    assert_eq!((versions[0].bytes, versions[0].original_bytes), (64, 32));

    // Activating another prompt's version changes nothing.
    let other = store.add_version(&stored_version("bn", "consent", 9)).await.unwrap();
    assert_eq!(store.activate(&hi, &welcome, other.id).await.unwrap(), None);
    let after = store.versions(&hi, &welcome).await.unwrap();
    assert_eq!(after, versions, "the active version stays active");
}

#[tokio::test]
async fn a_stored_code_that_is_no_code_is_corrupt_data_not_a_panic() {
    use futures::TryStreamExt;
    use sampark::db::StoreError;

    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000021", "+911000000191", "1", "9", None).await;
    for bad in ["home_state_code = 266", "home_state_code = 0", "home_state_code = 9, home_district_code = -1"] {
        app.database.execute(&format!("UPDATE cases SET {bad}")).await;
        let read: Result<Vec<_>, _> = app.case_store.export_cases().try_collect().await;
        assert!(matches!(read, Err(StoreError::Corrupt(_))), "{bad}: {read:?}");
        let everyone = scope(Role::Admin, &[], &[]);
        let counted = app.reports.waiting_by_district(&everyone, (app.calls.clock())()).await;
        assert!(matches!(counted, Err(StoreError::Corrupt(_))), "{bad}: {counted:?}");
    }
}

/// A coordinator's pick for a spelling the matcher was not sure of is
/// remembered for that spelling, in its state or in any; another state's
/// own district of that name is not overridden.
#[tokio::test]
async fn a_place_picked_for_a_spelling_is_remembered_for_it() {
    use sampark::{
        directory::{Directory, Matched},
        domain::DistrictCode,
        places::PlaceStore,
    };
    let app = spawn_app().await;
    let db = sampark::db::Db::open_existing(&app.database_url).await.unwrap();
    let places = PlaceStore::new(db.clone());
    let directory = Directory::bundled();
    let now = (app.calls.clock())();
    // Bijapur: Chhattisgarh's district, and Karnataka's earlier name for Vijayapura.
    let before = places.match_district(directory, "Bijapur", None).await.unwrap();
    assert_eq!(before.sure(), None, "two places: a person picks");
    let vijayapura = DistrictCode::new(530).unwrap();
    places.remember_district("Bijapur", None, vijayapura, "coordinator", now).await.unwrap();
    for spelt in ["Bijapur", "BIJAPUR ", "bijapur."] {
        let after = places.match_district(directory, spelt, None).await.unwrap();
        assert_eq!(after.sure(), Some(vijayapura), "{spelt}: {after:?}");
        assert_eq!(after.best().unwrap().matched, Matched::Picked);
    }
    let chhattisgarh = places.match_district(directory, "Bijapur", StateCode::new(22).ok()).await.unwrap();
    assert_eq!(chhattisgarh.sure().map(DistrictCode::get), Some(636), "in Chhattisgarh it is Chhattisgarh's own");
    // A later pick replaces the earlier one, and a pick in a state wins there.
    places
        .remember_district("Bijapur", StateCode::new(22).ok(), DistrictCode::new(636).unwrap(), "other", now)
        .await
        .unwrap();
    assert_eq!(
        places.picked_district("Bijapur", StateCode::new(22).ok()).await.unwrap().map(DistrictCode::get),
        Some(636)
    );
    assert_eq!(places.picked_district("Bijapur", None).await.unwrap(), Some(vijayapura));
    assert!(places.remember_district(" .. ", None, vijayapura, "coordinator", now).await.is_err(), "no letters");
    db.close().await;
}
