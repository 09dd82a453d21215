//! `sampark import`: messy lists (a UTF-8 CSV with Hindi headers, a
//! Windows-1252 one, an XLSX with phones typed as numbers) into the
//! national database — callers already in it matched, conflicts kept, a dry
//! run that changes nothing, the same file twice changing nothing, unsure
//! place names on the review list (a pick remembered for the spelling), a
//! malformed file changing nothing, and an interrupted import resuming.

use std::{path::Path, process::Output, time::Duration};

use chrono::Utc;
use sampark::{
    db::Db,
    people::{
        Field, Standing,
        import::{ImportError, Line, Plan, import},
    },
};

use super::{
    cli::sampark,
    helpers::{TestApp, repo_path, spawn_app},
};

fn fixture(name: &str) -> std::path::PathBuf {
    repo_path(&format!("tests/fixtures/import/{name}"))
}

fn run_import(app: &TestApp, file: &Path, args: &[&str]) -> Output {
    sampark().arg("import").arg(file).args(args).env("SAMPARK_DATABASE_URL", &app.database_url).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

async fn facts(app: &TestApp) -> i64 {
    app.database.scalar("SELECT COUNT(*) FROM person_facts").await
}

#[tokio::test]
async fn a_messy_list_imports_once_matching_the_callers_already_in_the_database() {
    // Arrange: a caller from Bihar (who chose Hindi) is already a person.
    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000201", "+916000000002", "1", "10", None).await;
    for _ in 0..100 {
        if app.people.by_phone("+916000000002").await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caller = app.people.by_phone("+916000000002").await.unwrap().expect("the caller is a person");
    let list = fixture("hindi_utf8_bom.csv");
    let before = facts(&app).await;

    // A dry run reports and changes nothing.
    let dry = stdout(&run_import(&app, &list, &["--source", "up-2020", "--dry-run"]));
    let counts = "rows 7: new people 4, matched 0, conflicting 1, rejected 2, places to check 0";
    assert!(dry.contains(counts) && dry.contains("dry run"), "{dry}");
    assert!(dry.contains("row 7: phone '6.00E+09' was mangled by the spreadsheet"), "{dry}");
    assert!(dry.contains("row 9: phone '98765' is not a 10-digit mobile number"), "{dry}");
    assert_eq!((app.people.count().await.unwrap(), facts(&app).await), (1, before), "a dry run changes nothing");
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM imports").await, 0);

    // Without --yes and without a terminal to ask on, nothing is imported.
    let unconfirmed = run_import(&app, &list, &["--source", "up-2020"]);
    assert!(!unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("श्रमिक का नाम' → name"), "the columns are shown");
    assert_eq!(app.people.count().await.unwrap(), 1);

    // Act
    let done = stdout(&run_import(&app, &list, &["--source", "up-2020", "--yes", "--by", "coord"]));

    // Assert: the caller is one person; the list filled what they did not say.
    assert!(done.contains(counts), "{done}");
    assert_eq!(app.people.count().await.unwrap(), 5);
    let (person, facts_of) = app.people.person(caller.id).await.unwrap().unwrap();
    assert_eq!(person.name.as_deref(), Some("सीता देवी"));
    assert_eq!(person.other_phone.as_deref(), Some("+916000000012"), "the cell's second number is kept");
    assert_eq!((person.home_state_code, person.home_district_code), (Some(10), Some(214)), "Bihar, Purnia");
    assert_eq!(person.language.as_deref(), Some("hi"), "what the caller chose stays");
    let bhojpuri = facts_of.iter().find(|f| f.field == Field::Language && f.value == "bho").unwrap();
    assert_eq!((bhojpuri.standing, bhojpuri.source.as_str()), (Standing::Conflict, "up-2020"));
    assert_eq!(bhojpuri.given_by.as_deref(), Some("coord"));
    let ram = app.people.by_phone("+916000000001").await.unwrap().unwrap();
    assert_eq!((ram.home_state_code, ram.home_district_code), (Some(9), Some(152)), "U.P., Jounpur");
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM import_rejects").await, 2);
    // The volunteer calling the caller back sees the name the list gave.
    app.add_user("vol", "volunteer", "10", "hi", "").await;
    let vol = app.api_login("vol").await;
    let case = app.only_case().await;
    let page = app
        .client
        .get(format!("{}/cases/{}", app.address, case["id"]))
        .header("Cookie", format!("sampark_session={}", vol.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("From the lists") && page.contains("सीता देवी"), "{page}");
    // Bihar's coordinator lists Bihar's people (numbers masked), not UP's.
    app.add_user("bihar", "coordinator", "10", "", "").await;
    let bihar = app.api_login("bihar").await;
    let list_page = |query: &'static str| {
        let request = app.client.get(format!("{}/people{query}", app.address));
        request.header("Cookie", format!("sampark_session={}", bihar.token)).send()
    };
    let people = list_page("").await.unwrap().text().await.unwrap();
    assert!(people.contains("सीता देवी") && !people.contains("राम कुमार"), "{people}");
    assert!(people.contains("+91*******002") && !people.contains("+916000000002"), "{people}");
    let to_settle = list_page("?conflicts=1").await.unwrap().text().await.unwrap();
    assert!(to_settle.contains("सीता देवी"), "{to_settle}");
    // The coordinator keeps the list's Bhojpuri on the person's page.
    let cookie = format!("sampark_session={}", bihar.token);
    let person_page = app.client.get(format!("{}/people/{}", app.address, caller.id)).header("Cookie", &cookie);
    let person_page = person_page.send().await.unwrap().text().await.unwrap();
    assert!(person_page.contains("Keep this one") && person_page.contains("+916000000002"), "{person_page}");
    let form = [("csrf", bihar.csrf.as_str()), ("field", "language"), ("value", "bho")];
    let settle = app.client.post(format!("{}/people/{}/settle", app.address, caller.id)).header("Cookie", &cookie);
    let settled = settle.form(&form).send().await.unwrap();
    assert!(settled.status().is_success() || settled.status().is_redirection(), "{}", settled.status());
    let (person, _) = app.people.person(caller.id).await.unwrap().unwrap();
    assert_eq!((person.language.as_deref(), person.open_conflicts), (Some("bho"), 0));
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action IN ('view_person', 'settle_person')";
    assert_eq!(
        app.database.scalar(audited).await,
        3,
        "two views of the number (before, and after the redirect) and the settling"
    );
    // UP's person is not Bihar's coordinator's to see.
    let ram_page = app.client.get(format!("{}/people/{}", app.address, ram.id)).header("Cookie", &cookie);
    assert_eq!(ram_page.send().await.unwrap().status(), 404);

    // The same file again changes nothing.
    let (people, all_facts) = (app.people.count().await.unwrap(), facts(&app).await);
    let again = stdout(&run_import(&app, &list, &["--source", "up-2020", "--yes"]));
    assert!(again.contains("imported from this source before: nothing changed"), "{again}");
    assert_eq!((app.people.count().await.unwrap(), facts(&app).await), (people, all_facts));

    // Windows-1252: the names come through whole.
    let odisha = stdout(&run_import(&app, &fixture("windows_1252.csv"), &["--source", "odisha-2020", "--yes"]));
    assert!(odisha.contains("new people 3"), "{odisha}");
    let rene = app.people.by_phone("+916000000031").await.unwrap().unwrap();
    assert_eq!(rene.name.as_deref(), Some("René D’Souza"));
    assert_eq!((rene.home_state_code, rene.home_district_code), (Some(21), Some(350)), "Orissa, Cuttack");
}

#[tokio::test]
async fn an_xlsx_with_phones_typed_as_numbers_imports_and_its_mapping_is_saved_for_the_source() {
    use rust_xlsxwriter::Workbook;
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("surat.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in (0..).zip(["नाम", "फोन", "Gaon", "राज्य", "जिला"]) {
        sheet.write_string(0, col, header).unwrap();
    }
    for (row, (name, phone, village, state, district)) in (1..).zip([
        ("Ramesh", 6_000_000_401.0, "Rampur", "Bihar", "Purnea"),
        ("Suresh", 6_000_000_402.0, "Sonpur", "UP", "Allahabad"),
    ]) {
        sheet.write_string(row, 0, name).unwrap();
        sheet.write_number(row, 1, phone).unwrap();
        sheet.write_string(row, 2, village).unwrap();
        sheet.write_string(row, 3, state).unwrap();
        sheet.write_string(row, 4, district).unwrap();
    }
    book.save(&path).unwrap();

    let done = stdout(&run_import(&app, &path, &["--source", "surat-2020", "--yes", "--map", "Gaon=village"]));

    assert!(done.contains("new people 2"), "{done}");
    let ramesh = app.people.by_phone("+916000000401").await.unwrap().unwrap();
    assert_eq!(ramesh.village.as_deref(), Some("Rampur"));
    assert_eq!((ramesh.home_state_code, ramesh.home_district_code), (Some(10), Some(214)));
    let suresh = app.people.by_phone("+916000000402").await.unwrap().unwrap();
    assert_eq!(suresh.home_district_code, Some(120), "Allahabad is Prayagraj");
    // The next file from the source uses the saved mapping: Gaon is a village without --map.
    let next = dir.path().join("surat-2.csv");
    std::fs::write(&next, "नाम,फोन,Gaon\nMahesh,6000000403,Bhadohi\n").unwrap();
    stdout(&run_import(&app, &next, &["--source", "surat-2020", "--yes"]));
    let mahesh = app.people.by_phone("+916000000403").await.unwrap().unwrap();
    assert_eq!(mahesh.village.as_deref(), Some("Bhadohi"));
}

#[tokio::test]
async fn a_place_the_matcher_is_unsure_of_goes_to_the_review_list_and_the_pick_is_remembered() {
    // Arrange: "Aurangabad" with no state is Bihar's, or Maharashtra's old name.
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "Name,Mobile,District\nA,6000000501,Aurangabad\nB,6000000502,aurangabad\n").unwrap();
    let done = stdout(&run_import(&app, &list, &["--source", "mixed", "--yes"]));
    assert!(done.contains("places to check 2"), "{done}");
    app.add_user("coord", "coordinator", "10", "hi", "").await;
    let coord = app.api_login("coord").await;
    let cookie = format!("sampark_session={}", coord.token);
    let page = app.client.get(format!("{}/people/review", app.address)).header("Cookie", &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Aurangabad") && page.contains("value=\"189\""), "{page}");
    let id = app.database.scalar("SELECT MIN(id) FROM place_reviews").await;

    // Act: the coordinator picks Bihar's Aurangabad (189).
    let form = [("csrf", coord.csrf.as_str()), ("code", "189")];
    let picked = app
        .client
        .post(format!("{}/people/review/{id}", app.address))
        .header("Cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(picked.status().is_success() || picked.status().is_redirection(), "{}", picked.status());

    // Assert: both people have it, the list is empty, and the next list is matched.
    for phone in ["+916000000501", "+916000000502"] {
        let person = app.people.by_phone(phone).await.unwrap().unwrap();
        assert_eq!((person.home_state_code, person.home_district_code), (Some(10), Some(189)), "{phone}");
    }
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM place_reviews WHERE resolved_at IS NULL").await, 0);
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'pick_place'").await, 1);
    std::fs::write(dir.path().join("next.csv"), "Name,Mobile,District\nC,6000000503,Aurangabad\n").unwrap();
    let next = stdout(&run_import(&app, &dir.path().join("next.csv"), &["--source", "mixed", "--yes"]));
    assert!(next.contains("places to check 0"), "{next}");
    let c = app.people.by_phone("+916000000503").await.unwrap().unwrap();
    assert_eq!(c.home_district_code, Some(189));
    // A volunteer may not see the list.
    app.add_user("vol", "volunteer", "10", "hi", "").await;
    let vol = app.api_login("vol").await;
    let refused = app
        .client
        .get(format!("{}/people/review", app.address))
        .header("Cookie", format!("sampark_session={}", vol.token))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn a_malformed_file_changes_nothing_and_an_interrupted_import_resumes_where_it_stopped() {
    let app = spawn_app().await;
    // A damaged workbook: a clear error, nothing written.
    let corrupt = run_import(&app, &fixture("corrupt.xlsx"), &["--source", "x", "--yes"]);
    assert!(!corrupt.status.success());
    assert!(String::from_utf8_lossy(&corrupt.stderr).contains("cannot be read"), "{corrupt:?}");
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM imports").await, 0);

    // A list of 2,500 that fails on row 1,700 the first time it is written
    // (as a crash would), after its first batch was committed.
    let db = Db::open_existing(&app.database_url).await.unwrap();
    let plan = Plan {
        source: "big".to_owned(),
        unit_id: None,
        file_name: "big.csv".to_owned(),
        file_sha256: "ab".repeat(32),
        by: "coord".to_owned(),
        consent: true,
        mapping: "{}".to_owned(),
        dry_run: false,
        at: Utc::now(),
    };
    let opened = std::sync::atomic::AtomicU32::new(0);
    let lines = |fail_at: Option<u64>| {
        (2..2502_u64).map(move |row| {
            if Some(row) == fail_at {
                return Err(ImportError::Unreadable("the disk went away".to_owned()));
            }
            let mut given = sampark::people::Given {
                phone: sampark::domain::PhoneNumber::parse(&format!("+9160000{row:05}")),
                values: Vec::new(),
            };
            given.set(Field::Name, &format!("Worker {row}"));
            Ok(Line::Entry { row, given, unsure: Vec::new() })
        })
    };
    let failing = import(&db, &plan, || {
        // The first pass (the whole-file check) reads it all; the second fails.
        let n = opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(lines(if n == 0 { None } else { Some(1700) }))
    })
    .await;
    assert!(failing.is_err());
    assert_eq!(app.people.count().await.unwrap(), 1000, "the first batch was committed");

    let resumed = import(&db, &plan, || Ok(lines(None))).await.unwrap();
    assert_eq!((resumed.resumed_after, resumed.rows, resumed.new_people), (1000, 1500, 1500));
    assert_eq!(app.people.count().await.unwrap(), 2500);
    let again = import(&db, &plan, || Ok(lines(None))).await.unwrap();
    assert!(again.already_imported);
    assert_eq!(again.new_people, 2500, "the import's record counts both runs");
    db.close().await;
}

#[tokio::test]
async fn a_coordinator_previews_a_list_on_the_page_and_imports_it_in_the_background() {
    let app = spawn_app().await;
    app.add_user("coord", "coordinator", "9,10", "hi", "").await;
    let coord = app.api_login("coord").await;
    let cookie = format!("sampark_session={}", coord.token);
    let bytes = std::fs::read(fixture("hindi_utf8_bom.csv")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", coord.csrf.clone())
        .text("source", "up-2020")
        .text("consent", "1")
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name("workers.csv"));

    // Act: the upload shows the columns and a dry run, and changes nothing.
    let preview =
        app.client.post(format!("{}/people/import", app.address)).header("Cookie", &cookie).multipart(form).send();
    let preview = preview.await.unwrap().text().await.unwrap();
    assert!(
        preview.contains("column 4 &#39;मोबाइल नंबर&#39; → phone") || preview.contains("column 4 'मोबाइल नंबर' → phone"),
        "{preview}"
    );
    assert!(preview.contains("<th>New people</th><td>5</td>"), "{preview}");
    assert!(preview.contains("Row 7: phone"), "{preview}");
    assert_eq!(app.people.count().await.unwrap(), 0, "a preview changes nothing");
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = preview.find(&marker).unwrap_or_else(|| panic!("{name} in {preview}")) + marker.len();
        preview[start..].split('"').next().unwrap().to_owned()
    };
    let confirm: Vec<(String, String)> = ["csrf", "sha256", "file_name", "source", "consent", "map", "sheet"]
        .iter()
        .map(|n| (n.to_string(), hidden(n)))
        .collect();
    let done = app
        .client
        .post(format!("{}/people/import/confirm", app.address))
        .header("Cookie", &cookie)
        .form(&confirm)
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success() || done.status().is_redirection(), "{}", done.status());

    // Assert: the import finishes in the background; its page says so.
    for _ in 0..100 {
        if app.database.scalar("SELECT COUNT(*) FROM imports WHERE finished_at IS NOT NULL").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.people.count().await.unwrap(), 5);
    let ram = app.people.by_phone("+916000000001").await.unwrap().unwrap();
    assert_eq!(ram.consent, Some(true), "the row says हाँ");
    let imports = app.client.get(format!("{}/people/imports", app.address)).header("Cookie", &cookie).send();
    let imports = imports.await.unwrap().text().await.unwrap();
    assert!(imports.contains("up-2020 · workers.csv") && imports.contains("coord"), "{imports}");
    let audited = app.database.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'import_list'").await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_confirm_sent_twice_imports_the_list_once() {
    // A double tap, or the browser sending the form again while it runs.
    let app = spawn_app().await;
    app.add_user("coord", "coordinator", "9", "hi", "").await;
    let coord = app.api_login("coord").await;
    let cookie = format!("sampark_session={}", coord.token);
    let mut csv = "Name,Mobile,State\n".to_owned();
    for n in 0..3000 {
        csv.push_str(&format!("Worker {n},{},UP\n", 6_000_100_000_u64 + n));
    }
    let form = reqwest::multipart::Form::new()
        .text("csrf", coord.csrf.clone())
        .text("source", "up-big")
        .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("big.csv"));
    let preview = app.client.post(format!("{}/people/import", app.address)).header("Cookie", &cookie).multipart(form);
    let preview = preview.send().await.unwrap().text().await.unwrap();
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = preview.find(&marker).unwrap_or_else(|| panic!("{name} in {preview}")) + marker.len();
        preview[start..].split('"').next().unwrap().to_owned()
    };
    let confirm: Vec<(String, String)> = ["csrf", "sha256", "file_name", "source", "consent", "map", "sheet"]
        .iter()
        .map(|n| (n.to_string(), hidden(n)))
        .collect();
    let send = || {
        app.client
            .post(format!("{}/people/import/confirm", app.address))
            .header("Cookie", &cookie)
            .form(&confirm)
            .send()
    };

    let (first, second) = tokio::join!(send(), send());

    let mut statuses = [first.unwrap().status().as_u16(), second.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409],
        "one runs (its redirect to the imports page followed); the other is told it is running"
    );
    for _ in 0..600 {
        if app.database.scalar("SELECT COUNT(*) FROM imports WHERE finished_at IS NOT NULL").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.people.count().await.unwrap(), 3000, "every row once");
    assert_eq!(app.database.scalar("SELECT COUNT(*) FROM imports").await, 1);
    assert_eq!(app.database.scalar("SELECT MAX(rows_done) FROM imports").await, 3000);
}
