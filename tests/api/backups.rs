//! `sampark backup` and `restore` on SQLite, with calls coming in. What must
//! not be lost: every call finished before the backup began is in it; the
//! database a restore replaces is kept; a bad backup changes nothing.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use super::{
    cli::sampark,
    helpers::{Options, TestApp, TestDatabase, spawn_app_with},
    twilio_sim::Call,
};

/// One whole call from caller `n`: West Bengal (19), district 305.
async fn whole_call(app: &TestApp, n: usize) {
    let mut call = Call::start(app, &format!("CA{n:032}"), &format!("+91100000{n:04}")).await;
    for keys in ["2", "1", "0", "19#", "305#", "1", "2"] {
        call.press(keys).await;
    }
    call.silence().await;
    call.hang_up().await;
}

/// Runs the binary off the test's runtime threads.
async fn run(args: Vec<String>, database_url: &str) -> std::process::Output {
    let mut command = sampark();
    command.args(args).env("SAMPARK_DATABASE_URL", database_url);
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The callers' numbers in a database, as the export gives them.
async fn phones(url: &str) -> Vec<String> {
    let output = run(vec!["cases".into(), "export".into()], url).await;
    assert!(output.status.success(), "{}", text(&output));
    let mut phones: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["phone"].as_str().unwrap().to_owned())
        .collect();
    phones.sort();
    phones
}

#[tokio::test]
async fn a_backup_taken_while_calls_come_in_holds_every_call_finished_before_it_and_restores() {
    // Arrange: a server on SQLite with callers calling, one after another.
    let database = Arc::new(TestDatabase::sqlite());
    let app = Arc::new(spawn_app_with(Options { database: Some(database.clone()), ..Options::default() }).await);
    let (stop, finished) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let caller = {
        let (app, stop, finished) = (app.clone(), stop.clone(), finished.clone());
        tokio::spawn(async move {
            let mut n = 1;
            while !stop.load(Ordering::SeqCst) {
                whole_call(&app, n).await;
                finished.store(n, Ordering::SeqCst);
                n += 1;
            }
        })
    };
    while finished.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act: a backup while the calls go on.
    let work = tempfile::TempDir::new().unwrap();
    let backup = work.path().join("sampark-backup.db");
    let before = finished.load(Ordering::SeqCst);
    let made = run(vec!["backup".into(), backup.display().to_string()], &database.url).await;
    let during = finished.load(Ordering::SeqCst);
    while finished.load(Ordering::SeqCst) < during + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    caller.await.expect("every webhook was answered while the backup ran");

    // Assert: the backup is whole and holds every call finished before it.
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("backed up"), "{}", text(&made));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600, "callers' data: owner only");
    let backup_url = format!("sqlite://{}", backup.display());
    let kept = phones(&backup_url).await;
    for n in 1..=before {
        assert!(kept.contains(&format!("+91100000{n:04}")), "caller {n} finished before the backup: {kept:?}");
    }
    let live = phones(&database.url).await;
    assert_eq!(live.len(), finished.load(Ordering::SeqCst), "the live database has every call");

    // A second backup to the same file is refused; the first is untouched.
    let again = run(vec!["backup".into(), backup.display().to_string()], &database.url).await;
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    // Restore is refused while the server has the database open.
    let busy = run(vec!["restore".into(), backup.display().to_string()], &database.url).await;
    assert!(!busy.status.success());
    assert!(text(&busy).contains("stop it first"), "{}", text(&busy));
    assert_eq!(phones(&database.url).await, live, "the refused restore changed nothing");

    // Stopped, the backup is put back; the database it replaced is kept.
    let app = Arc::into_inner(app).expect("the caller task is done");
    app.stop().await;
    let restored = run(vec!["restore".into(), backup.display().to_string()], &database.url).await;
    assert!(restored.status.success(), "{}", text(&restored));
    assert_eq!(phones(&database.url).await, kept, "the database is the backup now");
    let out = text(&restored);
    let kept_as = out.lines().find_map(|l| l.strip_prefix("the database it replaced is kept as ")).expect(&out);
    assert_eq!(phones(&format!("sqlite://{kept_as}")).await, live, "nothing of the replaced database is lost");

    // And a server starts on it, with its callers queued.
    let app = spawn_app_with(Options { database: Some(database.clone()), ..Options::default() }).await;
    assert_eq!(app.cases().await.len(), kept.len());
}

#[tokio::test]
async fn a_file_that_is_not_a_backup_is_refused_and_changes_nothing() {
    let database = Arc::new(TestDatabase::sqlite());
    let app = spawn_app_with(Options { database: Some(database.clone()), ..Options::default() }).await;
    whole_call(&app, 77).await;
    app.stop().await;
    let work = tempfile::TempDir::new().unwrap();
    let cases = [
        ("text.db", b"this is not a database\n".repeat(100)),
        ("empty.db", Vec::new()),
        ("truncated.db", std::fs::read(database.url.strip_prefix("sqlite://").unwrap()).unwrap()[..4096].to_vec()),
    ];
    for (name, bytes) in cases {
        let file = work.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let refused = run(vec!["restore".into(), file.display().to_string()], &database.url).await;
        assert!(!refused.status.success(), "{name}");
        assert!(text(&refused).contains("is not a backup Sampark can restore"), "{name}: {}", text(&refused));
    }
    assert_eq!(phones(&database.url).await, vec!["+911000000077".to_owned()], "the database is as it was");
}

#[tokio::test]
async fn postgresql_is_pointed_to_its_own_tools() {
    let output = run(vec!["backup".into(), "/tmp/never-written.db".into()], "postgres://nobody@127.0.0.1:1/none").await;
    assert!(!output.status.success());
    assert!(text(&output).contains("pg_dump"), "{}", text(&output));
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

/// A server killed with -9 leaves its last writes in the WAL beside the
/// database: the database a restore replaces is kept with them, whole.
#[tokio::test]
async fn a_restore_after_a_kill_9_keeps_the_replaced_databases_last_writes() {
    let work = tempfile::TempDir::new().unwrap();
    let data = work.path().join("data");
    let url = format!("sqlite://{}", data.join("sampark.db").display());
    assert!(run(vec!["migrate".into()], &url).await.status.success());
    let empty = work.path().join("empty-backup.db");
    assert!(run(vec!["backup".into(), empty.display().to_string()], &url).await.status.success());

    // A caller calls and hangs up; the server dies with no chance to tidy up.
    let port = super::helpers::free_port();
    let env = [("SAMPARK_DATA_DIR", data.display().to_string())];
    let mut server = super::helpers::serve_binary(work.path(), port, &env);
    super::helpers::wait_up(port).await;
    let client = reqwest::Client::new();
    let call = [("CallSid", "CA00000000000000000000000000000851"), ("From", "+911000000851")];
    let answered = client.post(format!("http://127.0.0.1:{port}/twilio/voice")).form(&call).send().await.unwrap();
    assert_eq!(answered.status(), 200);
    let ended = [call[0], call[1], ("CallStatus", "completed")];
    let ended = client.post(format!("http://127.0.0.1:{port}/twilio/status")).form(&ended).send().await.unwrap();
    assert!(ended.status().is_success());
    server.kill().unwrap();
    server.wait().unwrap();

    let restored = run(vec!["restore".into(), empty.display().to_string()], &url).await;
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(phones(&url).await.is_empty(), "the database is the (empty) backup now");
    let out = text(&restored);
    let kept_as = out.lines().find_map(|l| l.strip_prefix("the database it replaced is kept as ")).expect(&out);
    assert!(!std::path::Path::new(&format!("{kept_as}-wal")).exists(), "the kept database is one file");
    assert_eq!(phones(&format!("sqlite://{kept_as}")).await, ["+911000000851"], "the caller the WAL held is kept");
}
