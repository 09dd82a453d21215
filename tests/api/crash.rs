//! `kill -9` in the middle of a load run: after a restart, every webhook the
//! server had answered with success is in the database. Runs the real
//! binary, on SQLite (group commit) or PostgreSQL as the suite does.

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use sampark::loadgen::{Ack, LoadConfig, run};

use super::helpers::{TestDatabase, repo_path};

const TOKEN: &str = "crash-test-token";

fn serve(database: &str, port: u16, spool: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sampark"))
        .arg("serve")
        .env("SAMPARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("SAMPARK_DATABASE_URL", database)
        .env("SAMPARK_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SAMPARK_TWILIO_AUTH_TOKEN", TOKEN)
        .env("SAMPARK_FLOWS_DIR", repo_path("call_flows"))
        .env("SAMPARK_PROMPTS_DIR", repo_path("prompts"))
        .env("SAMPARK_SPOOL_PATH", spool)
        .env("RUST_LOG", "error")
        .env_remove("SAMPARK_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Polls /healthz until the server answers (bounded).
async fn wait_up(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

#[tokio::test]
async fn every_acknowledged_webhook_survives_a_kill_9() {
    sampark::install_tls_provider();
    let database = TestDatabase::fresh().await;
    let work = tempfile::TempDir::new().unwrap();
    let spool = work.path().join("spool.jsonl");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Arc::new(Mutex::new(serve(&database.url, port, &spool)));
    wait_up(port).await;

    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let (acks_seen, killer) = (acks.clone(), server.clone());
    let on_ack: Arc<dyn Fn(Ack) + Send + Sync> = Arc::new(move |ack| {
        let mut seen = acks_seen.lock().unwrap();
        seen.push(ack);
        if seen.len() == 500 {
            // SIGKILL: no shutdown, no flush, mid-request for many calls.
            killer.lock().unwrap().kill().unwrap();
        }
    });
    let config = LoadConfig {
        target: format!("http://127.0.0.1:{port}"),
        public_url: format!("http://127.0.0.1:{port}"),
        token: Some(TOKEN.to_owned()),
        calls: 400,
        concurrency: 16,
        run_id: "c0ffee00".to_owned(),
    };
    let report = run(&config, on_ack).await;
    server.lock().unwrap().wait().unwrap();
    assert!(report.errors > 0, "the kill happened mid-run");
    let acknowledged = acks.lock().unwrap().clone();
    assert!(acknowledged.len() >= 500);

    let mut restarted = serve(&database.url, port, &spool);
    wait_up(port).await;
    let stored: HashSet<(String, String)> = database
        .pairs("SELECT c.provider_call_id, e.dedupe_key FROM call_events e JOIN calls c ON c.id = e.call_id")
        .await
        .into_iter()
        .collect();
    let lost: Vec<&Ack> =
        acknowledged.iter().filter(|a| !stored.contains(&(a.call_sid.clone(), a.dedupe_key.clone()))).collect();
    restarted.kill().unwrap();
    let _ = restarted.wait();
    assert!(lost.is_empty(), "{} acknowledged webhooks lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(3)]);
    assert!(!spool.exists() || std::fs::read_to_string(&spool).unwrap().is_empty(), "nothing needed the spool");
}
