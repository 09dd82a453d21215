//! The database goes down during calls: callers hear "we have your number",
//! the calls are spooled, and once the database is back every spooled call
//! is in the queue exactly once. A real PostgreSQL is stopped and started
//! (scripts/postgres); without PostgreSQL installed the test says so and
//! passes, unless `SAMPARK_REQUIRE_POSTGRES` is set (`scripts/test` sets it).

use std::{path::PathBuf, sync::Arc, time::Duration};

use super::{
    helpers::{Options, TestDatabase, repo_path, spawn_app_with},
    twilio_sim::{Call, Twiml},
};

/// A PostgreSQL cluster of this test's own, so stopping it harms no other test.
struct Cluster {
    dir: PathBuf,
    port: u16,
    url: String,
}

fn postgres(args: &[&str]) -> std::process::Output {
    std::process::Command::new(repo_path("scripts/postgres")).args(args).output().unwrap()
}

impl Cluster {
    fn start() -> Option<Self> {
        if std::process::Command::new("pg_config").output().is_err() {
            assert!(std::env::var_os("SAMPARK_REQUIRE_POSTGRES").is_none(), "PostgreSQL is required");
            eprintln!("SKIPPED: PostgreSQL is not installed");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("sampark-outage-{}", std::process::id()));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = postgres(&["start", dir.to_str().unwrap(), &port.to_string()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Some(Self { dir, port, url })
    }

    fn pause(&self) {
        assert!(postgres(&["pause", self.dir.to_str().unwrap()]).status.success());
    }

    fn resume(&self) {
        assert!(postgres(&["resume", self.dir.to_str().unwrap(), &self.port.to_string()]).status.success());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        postgres(&["stop", self.dir.to_str().unwrap()]);
    }
}

#[tokio::test]
async fn callers_get_the_spool_answer_while_the_database_is_down_and_are_queued_once_after() {
    let Some(cluster) = Cluster::start() else { return };
    let database = Arc::new(TestDatabase::from(cluster.url.clone()));
    let app = spawn_app_with(Options { database: Some(database), ..Options::default() }).await;
    let mut first = Call::start(&app, "CA0a000000000000000000000000000001", "+911000000171").await;
    first.press("2").await;
    first.press("1").await;

    cluster.pause();
    let answer = first.request("https://sampark.test/twilio/voice?turn=3", &[("Digits", "10")]).await;
    assert!(answer.hangup, "the call ends politely: {}", answer.raw);
    assert!(answer.spoken().contains("आपका नंबर हमारे पास सुरक्षित है"), "{}", answer.raw);
    let second = Call::start(&app, "CA0a000000000000000000000000000002", "+911000000172").await;
    assert!(second.twiml.hangup && second.twiml.spoken().contains("सुरक्षित"), "{}", second.twiml.raw);
    first.hang_up().await;
    second.hang_up().await;
    let spooled = std::fs::read_to_string(&app.spool_path).unwrap();
    assert_eq!(spooled.lines().count(), 4, "each failed webhook is written down:\n{spooled}");
    assert!(!spooled.contains("1000000171") || spooled.contains("+911000000171"), "numbers in E.164");

    cluster.resume();
    let mut ready = false;
    for _ in 0..100 {
        if app.client.get(format!("{}/readyz", app.address)).send().await.unwrap().status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the database came back");
    app.spool.replay(&app.calls).await.unwrap();
    let cases = app.cases().await;
    assert_eq!(cases.len(), 2, "both callers are queued: {cases:#?}");
    let first_case = cases.iter().find(|c| c["phone"] == "+911000000171").unwrap();
    assert_eq!(first_case["calls"], 1, "once");
    assert_eq!(first_case["language"], "bn", "with what was captured before the outage");
    assert_eq!(first_case["consent"], true);
    assert!(!app.spool_path.exists() || std::fs::read_to_string(&app.spool_path).unwrap().is_empty());

    // A second replay (say, after a crash mid-replay) changes nothing.
    std::fs::write(&app.spool_path, &spooled).unwrap();
    app.spool.replay(&app.calls).await.unwrap();
    let again = app.cases().await;
    assert_eq!(again, cases, "exactly once");
    let _ = Twiml::default();
}
