//! State units and the central office, on both backends: units and their
//! members made with `sampark units`, a case handed from unit to unit (and
//! into, and out of, each unit's queue), and the central office's rollups
//! by LGD code, which hold no personal data, beside its refusals of
//! everything personal.

use std::io::Write;

use reqwest::{Method, StatusCode};
use sampark::people::{Field, Given, Source, SourceKind};
use serde_json::{Value, json};

use super::{
    cli::sampark,
    helpers::{ApiSession, TestApp, spawn_app},
};

/// Runs `sampark ARGS` on the app's database; its standard output.
fn cli(app: &TestApp, args: &[&str]) -> String {
    let output = sampark().args(args).env("SAMPARK_DATABASE_URL", &app.database_url).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sampark {args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

async fn waiting(app: &TestApp, who: &ApiSession) -> i64 {
    let queue = app.api(who, Method::GET, "/api/v1/queue").send().await.unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    queue.json::<Value>().await.unwrap()["waiting"].as_i64().unwrap()
}

async fn status(app: &TestApp, who: &ApiSession, method: Method, path: &str) -> StatusCode {
    app.api(who, method, path).send().await.unwrap().status()
}

/// Two units (Maharashtra, where the worker is stranded; Delhi), each with
/// a coordinator and a Hindi volunteer of its own state.
async fn two_units(app: &TestApp) {
    app.add_user("coord.mh", "coordinator", "27", "", "").await;
    app.add_user("vol.mh", "volunteer", "27", "hi", "").await;
    app.add_user("coord.dl", "coordinator", "7", "", "").await;
    app.add_user("vol.dl", "volunteer", "7", "hi", "").await;
    app.add_user("boss", "admin", "", "", "").await;
    cli(app, &["units", "add", "maharashtra", "--title", "Maharashtra state unit", "--states", "27"]);
    cli(app, &["units", "add", "delhi", "--title", "Delhi state unit", "--states", "7"]);
    for (unit, user) in
        [("maharashtra", "coord.mh"), ("maharashtra", "vol.mh"), ("delhi", "coord.dl"), ("delhi", "vol.dl")]
    {
        let added = cli(app, &["units", "members", "add", unit, user]);
        assert!(added.contains("is now a member"), "{added}");
    }
}

#[tokio::test]
async fn units_are_added_listed_and_their_members_changed_from_the_command_line() {
    let app = spawn_app().await;
    two_units(&app).await;
    let listed = cli(&app, &["units", "list"]);
    assert!(listed.contains("delhi\tDelhi state unit\tstates 7\tmembers coord.dl,vol.dl"), "{listed}");
    assert!(listed.contains("maharashtra\tMaharashtra state unit\tstates 27\tmembers coord.mh,vol.mh"), "{listed}");
    let removed = cli(&app, &["units", "members", "remove", "delhi", "vol.dl"]);
    assert!(removed.contains("no longer a member"), "{removed}");
    assert!(cli(&app, &["units", "list"]).contains("members coord.dl\n"));
    let nobody = sampark()
        .args(["units", "members", "add", "delhi", "nobody"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no user `nobody`"));
    let taken = sampark()
        .args(["units", "add", "delhi", "--title", "Again"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(!taken.status.success(), "a unit's name is taken once");
    let boss = app.api_login("boss").await;
    let page = app.api(&boss, Method::GET, "/admin/units").send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("<strong>Delhi state unit</strong> (delhi)</td><td>Delhi (7)</td><td>coord.dl</td>"),
        "{page}"
    );
    let vol = app.api_login("vol.mh").await;
    assert_eq!(status(&app, &vol, Method::GET, "/admin/units").await, StatusCode::FORBIDDEN);
    let audited = app.database.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'unit_%'").await;
    assert_eq!(audited, 2 + 4 + 1);
}

#[tokio::test]
async fn a_case_handed_to_another_unit_moves_to_its_queue_with_the_note_and_is_audited() {
    // Arrange: a Hindi caller from Bihar (10), stranded in Maharashtra: an
    // admin hands the case to the Maharashtra unit, which arranges food.
    let app = spawn_app().await;
    two_units(&app).await;
    app.queue_caller("CAa1300000000000000000000000000001", "+916000001301", "1", "10", None).await;
    let id = app.only_case().await["id"].as_i64().unwrap();
    let (boss, coord_mh, vol_mh, vol_dl, coord_dl) = (
        app.api_login("boss").await,
        app.api_login("coord.mh").await,
        app.api_login("vol.mh").await,
        app.api_login("vol.dl").await,
        app.api_login("coord.dl").await,
    );
    assert_eq!(waiting(&app, &vol_mh).await, 0, "Bihar is not Maharashtra's state");
    let body = json!({ "unit": "maharashtra", "note": "stranded in Pune: arrange food now" });
    let handed =
        app.api(&boss, Method::POST, &format!("/api/v1/cases/{id}/hand-over")).json(&body).send().await.unwrap();
    assert_eq!(handed.status(), StatusCode::OK);
    assert_eq!(waiting(&app, &vol_mh).await, 1, "handed to their unit, it is in their queue");
    assert_eq!(waiting(&app, &vol_dl).await, 0);

    // Act: Maharashtra's coordinator hands it on to Delhi with a note, by the case page's form.
    let page = app.api(&coord_mh, Method::GET, &format!("/cases/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Hand to unit") && page.contains("value=\"delhi\""), "{page}");
    let form = [("unit", "delhi"), ("note", "family in Delhi: arrange the train home")];
    let response = app
        .client
        .post(format!("{}/cases/{id}/hand-over", app.address))
        .bearer_auth(&coord_mh.token)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/units/handed", "the form goes on to the hand-overs");
    assert_eq!(response.status(), StatusCode::OK);

    // Assert: out of Maharashtra's queue, in Delhi's, whose volunteer claims it.
    assert_eq!(waiting(&app, &vol_mh).await, 0, "handed away and outside their states, it leaves");
    assert_eq!(status(&app, &vol_mh, Method::GET, &format!("/api/v1/cases/{id}")).await, StatusCode::NOT_FOUND);
    assert_eq!(waiting(&app, &vol_dl).await, 1);
    let claimed = app.api(&vol_dl, Method::POST, "/api/v1/queue/claim").send().await.unwrap();
    assert_eq!(claimed.json::<Value>().await.unwrap()["id"].as_i64(), Some(id));
    let case = app.api(&vol_dl, Method::GET, &format!("/cases/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(case.contains("Maharashtra state unit → <strong>Delhi state unit</strong>"), "{case}");
    assert!(case.contains("family in Delhi: arrange the train home"), "the history shows the note");
    assert!(case.contains("stranded in Pune: arrange food now"), "and the first one");
    let json: Value =
        app.api(&vol_dl, Method::GET, &format!("/api/v1/cases/{id}")).send().await.unwrap().json().await.unwrap();
    let notes: Vec<&str> = json["handovers"].as_array().unwrap().iter().map(|h| h["note"].as_str().unwrap()).collect();
    assert_eq!(notes, ["stranded in Pune: arrange food now", "family in Delhi: arrange the train home"]);
    assert_eq!(json["handovers"][1]["from_unit"], "Maharashtra state unit");
    let audit = app
        .database
        .pairs(&format!(
            "SELECT u.username, a.details FROM audit_log a JOIN users u ON u.id = a.user_id
             WHERE a.action = 'hand_over' AND a.case_id = {id} ORDER BY a.id"
        ))
        .await;
    let expected = [("boss", "- → maharashtra"), ("coord.mh", "maharashtra → delhi")];
    assert_eq!(audit, expected.map(|(u, d)| (u.to_owned(), d.to_owned())));
    let to_dl = app.api(&coord_dl, Method::GET, "/units/handed").send().await.unwrap().text().await.unwrap();
    let handed_to = to_dl.split("Handed away by my unit").next().unwrap();
    assert!(handed_to.contains(&format!("href=\"/cases/{id}\"")) && handed_to.contains("arrange the train home"));
    let from_mh = app.api(&coord_mh, Method::GET, "/units/handed").send().await.unwrap().text().await.unwrap();
    let handed_away = from_mh.split("Handed away by my unit").nth(1).unwrap();
    assert!(handed_away.contains(&format!("href=\"/cases/{id}\"")), "{from_mh}");
}

#[tokio::test]
async fn a_hand_over_needs_a_coordinator_a_note_another_unit_and_the_case_in_scope() {
    let app = spawn_app().await;
    two_units(&app).await;
    app.queue_caller("CAa1300000000000000000000000000002", "+916000001302", "1", "27", None).await;
    let id = app.only_case().await["id"].as_i64().unwrap();
    let (coord_mh, vol_mh, coord_dl) =
        (app.api_login("coord.mh").await, app.api_login("vol.mh").await, app.api_login("coord.dl").await);
    let hand = |who: &ApiSession, unit: &str, note: &str| {
        app.api(who, Method::POST, &format!("/api/v1/cases/{id}/hand-over"))
            .json(&json!({ "unit": unit, "note": note }))
    };
    assert_eq!(hand(&vol_mh, "delhi", "take it").send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(hand(&coord_mh, "delhi", "  ").send().await.unwrap().status(), StatusCode::CONFLICT);
    assert_eq!(hand(&coord_mh, "goa", "take it").send().await.unwrap().status(), StatusCode::CONFLICT);
    assert_eq!(hand(&coord_dl, "delhi", "mine now").send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let done = hand(&coord_mh, "delhi", "take it").send().await.unwrap();
    assert_eq!(done.json::<Value>().await.unwrap()["from_unit_id"], json!(1), "from the hander's unit");
    assert_eq!(waiting(&app, &vol_mh).await, 1, "a Maharashtra case stays with Maharashtra's volunteers");
    assert_eq!(hand(&coord_dl, "delhi", "again").send().await.unwrap().status(), StatusCode::CONFLICT);
    let csrf = app
        .client
        .post(format!("{}/api/v1/cases/{id}/hand-over", app.address))
        .json(&json!({ "unit": "maharashtra", "note": "back" }))
        .send()
        .await
        .unwrap();
    assert_eq!(csrf.status(), StatusCode::UNAUTHORIZED, "no session, no hand-over");
    assert_eq!(app.database.scalar("SELECT count(*) FROM case_handovers").await, 1);
}

/// A person from a list (or a call) with a name, a village, a home and a need.
async fn add_person(app: &TestApp, phone: &str, state: &str, district: &str, need: &str, kind: SourceKind) {
    let mut given = Given { phone: sampark::domain::PhoneNumber::parse(phone), values: Vec::new() };
    for (field, value) in [
        (Field::Name, "Test Worker"),
        (Field::Village, "Testgaon"),
        (Field::HomeState, state),
        (Field::HomeDistrict, district),
    ] {
        given.set(field, value);
    }
    given.set(Field::Need, need);
    let at = "2026-12-02T06:00:00Z".parse().unwrap();
    let source = Source { kind, name: "test-list".to_owned(), unit_id: None, by: None, at };
    app.people.record(&given, &source).await.unwrap();
}

#[tokio::test]
async fn the_central_office_sees_counts_by_lgd_code_and_nothing_personal() {
    let app = spawn_app().await;
    app.queue_caller("CAa1300000000000000000000000000003", "+916000001303", "1", "10", None).await;
    app.queue_caller("CAa1300000000000000000000000000004", "+916000001304", "1", "9", None).await;
    // The callers become people (the server's sync), then two from lists.
    for _ in 0..100 {
        if app.people.count().await.unwrap() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.people.count().await.unwrap(), 2, "the callers are people");
    add_person(&app, "+916000001305", "10", "212", "food", SourceKind::Import).await;
    add_person(&app, "+916000001306", "10", "212", "travel", SourceKind::Call).await;
    let mut add = sampark()
        .args(["users", "add", "office", "--role", "central", "--password-stdin"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(super::helpers::password("office").as_bytes()).unwrap();
    assert!(add.wait().unwrap().success(), "`users add --role central` works");
    let hq = app.api_login("office").await;

    let json: Value = app.api(&hq, Method::GET, "/central/rollup.json").send().await.unwrap().json().await.unwrap();
    let rows = json["rows"].as_array().unwrap();
    let cell = |table: &str, place: (Option<i64>, Option<i64>), key: Option<&str>| {
        rows.iter()
            .find(|r| {
                r["table"] == table
                    && (r["state_code"].as_i64(), r["district_code"].as_i64()) == place
                    && r["key"].as_str() == key
            })
            .map(|r| (r["people"].as_i64().unwrap(), r["cases"].as_i64().unwrap()))
    };
    let none = (None, None);
    assert_eq!(cell("place", (Some(9), None), None), Some((1, 1)), "a caller is a person and a case");
    assert_eq!(cell("place", (Some(10), None), None), Some((1, 1)));
    assert_eq!(cell("place", (Some(10), Some(212)), None), Some((2, 0)));
    assert_eq!(cell("status", none, Some("queued")), Some((0, 2)));
    assert_eq!(cell("source", none, Some("call")), Some((3, 2)), "a person by their facts' source, cases by channel");
    assert_eq!(cell("source", none, Some("import")), Some((1, 0)));
    assert_eq!(cell("need", none, Some("food")), Some((1, 0)));
    let weeks: i64 = rows.iter().filter(|r| r["table"] == "week").map(|r| r["people"].as_i64().unwrap()).sum();
    assert_eq!(weeks, 4, "every person in the week of their India day");
    assert_eq!(cell("week", none, Some("2026-W49")).map(|c| c.0 >= 2), Some(true), "the lists' two in 2026-W49");
    let csv = app.api(&hq, Method::GET, "/central/rollup.csv").send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("table,state_code,district_code,key,people,cases\n"), "{csv}");
    assert!(csv.contains("place,10,212,,2,0\n"), "{csv}");
    let page = app.api(&hq, Method::GET, "/central").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Patna (212)") && page.contains("Bihar (10)"), "names from the directory on the page");
    for exported in [json.to_string(), csv, page] {
        for personal in ["+91", "6000001", "Test Worker", "Testgaon"] {
            assert!(!exported.contains(personal), "{personal} in the rollup");
        }
    }
    assert_eq!(app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'rollup_export'").await, 2);

    // Nothing personal: no queue, no case, no recording, no export of cases.
    let id = app.cases().await[0]["id"].as_i64().unwrap();
    for (method, path) in [
        (Method::GET, "/api/v1/queue".to_owned()),
        (Method::POST, "/api/v1/queue/claim".to_owned()),
        (Method::POST, "/queue/claim".to_owned()),
        (Method::GET, format!("/api/v1/cases/{id}")),
        (Method::GET, format!("/cases/{id}")),
        (Method::GET, format!("/cases/{id}/recording")),
        (Method::GET, "/reports".to_owned()),
        (Method::GET, "/reports/cases.csv".to_owned()),
        (Method::GET, "/units/handed".to_owned()),
    ] {
        assert_eq!(status(&app, &hq, method, &path).await, StatusCode::FORBIDDEN, "{path}");
    }
    let home = app.api(&hq, Method::GET, "/").send().await.unwrap();
    assert_eq!(home.url().path(), "/central", "the central office's home is the rollups");
    app.add_user("cell", "coordinator", "10", "", "").await;
    let cell_session = app.api_login("cell").await;
    assert_eq!(status(&app, &cell_session, Method::GET, "/central/rollup.csv").await, StatusCode::FORBIDDEN);
    assert_eq!(app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'export'").await, 0);
}

/// Cases of every kind a scope tells apart: by home state (or none),
/// language (or none) and unit (or none).
async fn cases_of_every_kind(app: &TestApp) -> Vec<(i64, Option<u8>, Option<String>, Option<i64>)> {
    for (n, state) in ["9", "10", "27", "10", "27", "9", "10"].iter().enumerate() {
        app.queue_caller(
            &format!("CAa13100000000000000000000000000{n:02}"),
            &format!("+9160000014{n:02}"),
            "1",
            state,
            None,
        )
        .await;
    }
    let ids: Vec<i64> = app.cases().await.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let set = |sql: String| async move { app.database.execute(&sql).await };
    set(format!("UPDATE cases SET unit_id = 2 WHERE id IN ({}, {})", ids[3], ids[6])).await;
    set(format!("UPDATE cases SET unit_id = 1 WHERE id = {}", ids[4])).await;
    set(format!("UPDATE cases SET language = 'bn' WHERE id IN ({}, {})", ids[5], ids[6])).await;
    set(format!("UPDATE cases SET home_state_code = NULL WHERE id = {}", ids[1])).await;
    set(format!("UPDATE cases SET language = NULL WHERE id = {}", ids[2])).await;
    let rows = app
        .database
        .pairs(
            "SELECT CAST(id AS TEXT), coalesce(CAST(home_state_code AS TEXT), '') || '/' || coalesce(language, '') || '/' ||
                    coalesce(CAST(unit_id AS TEXT), '') FROM cases ORDER BY id",
        )
        .await;
    rows.into_iter()
        .map(|(id, kind)| {
            let mut parts = kind.split('/');
            let mut next = || parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
            let (state, language, unit) = (next(), next(), next());
            (id.parse().unwrap(), state.map(|s| s.parse().unwrap()), language, unit.map(|u| u.parse().unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn the_queries_and_the_claim_apply_the_scope_rule_that_covers_states() {
    use futures::TryStreamExt;
    use sampark::{
        auth::Role,
        domain::{Language, StateCode},
        queue::{QueueStore, Scope},
    };

    let app = spawn_app().await;
    cli(&app, &["units", "add", "maharashtra", "--title", "Maharashtra state unit", "--states", "27"]);
    cli(&app, &["units", "add", "delhi", "--title", "Delhi state unit", "--states", "7"]);
    let cases = cases_of_every_kind(&app).await;
    app.add_user("taker", "volunteer", "9", "hi", "").await;
    let taker = app.users.users().await.unwrap().into_iter().find(|u| u.username == "taker").unwrap().id;
    let queue = QueueStore::new(sampark::db::Db::open_existing(&app.database_url).await.unwrap());
    let now = (app.calls.clock())();
    let roles = [Role::Volunteer, Role::Coordinator, Role::Admin, Role::Central];
    let state_sets: [&[u8]; 3] = [&[], &[9], &[10, 27]];
    let language_sets: [&[&str]; 2] = [&["hi"], &["bn"]];
    let unit_sets: [&[i64]; 4] = [&[], &[1], &[2], &[1, 2]];
    for role in roles {
        for states in state_sets {
            for languages in language_sets {
                for units in unit_sets {
                    let scope = Scope {
                        user_id: taker,
                        role,
                        states: states.iter().map(|s| StateCode::new(*s).unwrap()).collect(),
                        languages: languages.iter().map(|l| Language::parse(l).unwrap()).collect(),
                        units: units.to_vec(),
                    };
                    let covered: Vec<i64> = cases
                        .iter()
                        .filter(|(_, state, language, unit)| {
                            let language = language.as_deref().map(|l| Language::parse(l).unwrap());
                            scope.covers(state.map(|s| StateCode::new(s).unwrap()), language.as_ref(), *unit)
                        })
                        .map(|(id, ..)| *id)
                        .collect();
                    let exported: Vec<i64> =
                        app.reports.export_scoped_cases(&scope).map_ok(|c| c.id).try_collect().await.unwrap();
                    assert_eq!(exported, covered, "{scope:?}");
                    let claimed = queue.claim_next(&scope, now, now + chrono::Duration::minutes(15)).await.unwrap();
                    match claimed {
                        Some(id) => {
                            assert!(covered.contains(&id), "claimed #{id} outside {scope:?}");
                            queue.release_case(&scope, id, now).await.unwrap();
                        }
                        None => assert!(covered.is_empty(), "nothing claimed for {scope:?}, though {covered:?}"),
                    }
                }
            }
        }
    }
}
