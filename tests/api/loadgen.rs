//! `sampark loadgen` against a real server: the report has every figure,
//! Sampark's beside the bare hyper server's, and the calls reach the
//! database as whole calls. Behaviour only: no figure is held to a speed.

use super::helpers::{PUBLIC_URL, TOKEN, TestApp, spawn_app};

/// Runs the binary against `app`, this test process standing as the
/// server's process id (the server runs in it).
async fn loadgen(app: &TestApp, extra: &[&str]) -> std::process::Output {
    let pid = std::process::id().to_string();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sampark"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SAMPARK_CONFIG")
        .args(["loadgen", "--target", &app.address, "--public-url", PUBLIC_URL, "--twilio-token", TOKEN])
        .args(["--calls", "6", "--concurrency", "2", "--warmup-calls", "2", "--server-pid", &pid])
        .args(extra)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn loadgen_json_reports_cpu_per_webhook_for_sampark_and_the_bare_server_with_no_errors() {
    let app = spawn_app().await;

    let output = loadgen(&app, &["--json"]).await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((report["calls"].as_u64(), report["concurrency"].as_u64()), (Some(6), Some(2)));
    assert_eq!(report["signed"], true);
    for side in ["sampark", "bare_hyper"] {
        let figures = &report[side];
        assert_eq!((figures["calls"].as_u64(), figures["webhooks"].as_u64()), (Some(6), Some(54)), "{side}");
        assert_eq!(figures["errors"], 0, "{side}");
        for figure in ["server_cpu_ms_per_webhook", "loadgen_cpu_ms_per_webhook", "webhooks_per_second"] {
            assert!(figures[figure].as_f64().is_some_and(|x| x >= 0.0), "{side}.{figure}: {figures}");
        }
        assert!(figures["server_threads"].as_u64().is_some_and(|n| n >= 1), "{side}: {figures}");
        assert!(figures["server_peak_memory_mb"].as_f64().is_some_and(|mb| mb > 0.0), "{side}: {figures}");
        let latency = &figures["latency_ms"];
        assert!(latency["p50"].as_f64() <= latency["p99"].as_f64(), "{side}: {latency}");
        assert!(latency["p99"].as_f64() <= latency["max"].as_f64(), "{side}: {latency}");
    }
    assert!(report["sampark_over_bare"]["throughput"].as_f64().is_some_and(|x| x > 0.0), "{report}");
    assert!(report["sampark_over_bare"]["peak_memory"].as_f64().is_some(), "{report}");
    // The warm-up calls are played too, outside the figures; each whole
    // call became its caller's case.
    let counts = app.counts().await;
    assert_eq!((counts.calls, counts.cases), (8, 8));
}

#[tokio::test]
async fn loadgen_prints_a_table_with_both_columns_and_the_ratios() {
    let app = spawn_app().await;

    let output = loadgen(&app, &[]).await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let row = |name: &str| {
        let line = stdout.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no `{name}` in:\n{stdout}"));
        line[name.len()..].split_whitespace().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(row("errors"), ["0", "0"]);
    // The ratio may be missing: so few requests can cost the bare server
    // less than one clock tick.
    let cpu = row("server CPU per webhook (ms)");
    assert!(cpu.len() >= 2 && cpu[..2].iter().all(|ms| ms.parse::<f64>().is_ok()), "{cpu:?}");
    assert!(row("webhooks/s")[2].ends_with('x'));
    row("loadgen CPU per webhook (ms)");
    row("server peak memory (MB)");
}

#[tokio::test]
async fn loadgen_against_a_server_that_is_not_there_fails_with_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sampark"))
        .env_remove("SAMPARK_CONFIG")
        .args(["loadgen", "--target", &format!("http://127.0.0.1:{port}"), "--calls", "3", "--concurrency", "1"])
        .args(["--warmup-calls", "0", "--json"])
        .output()
        .await
        .unwrap();

    assert!(!output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["sampark"]["errors"], 3);
    assert_eq!(report["sampark"]["calls"], 0);
    assert_eq!(report["bare_hyper"]["errors"], 0);
}
