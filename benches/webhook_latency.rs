//! Webhook latency: plays whole calls of the default flow, one request at a
//! time, against a real server on a fresh SQLite database, and reports the
//! median and tail per webhook. In the same run it measures a bare axum
//! server answering a fixed TwiML body, so the figures can be quoted as a
//! ratio that holds across machines.
//!
//! Run: `cargo bench --bench webhook_latency` (CALLS=500 to change the count).

use std::time::{Duration, Instant};

use sampark::{config::Settings, gateway::twilio::sign, startup::Application};

const PUBLIC_URL: &str = "https://sampark.bench";
const TOKEN: &str = "bench-token";

fn settings(db: &std::path::Path) -> Settings {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = std::collections::HashMap::from([
        ("SAMPARK_LISTEN", "127.0.0.1:0".to_owned()),
        ("SAMPARK_DATA_DIR", db.display().to_string()),
        ("SAMPARK_DATABASE_URL", format!("sqlite://{}", db.join("bench.db").display())),
        ("SAMPARK_PUBLIC_URL", PUBLIC_URL.to_owned()),
        ("SAMPARK_TWILIO_AUTH_TOKEN", TOKEN.to_owned()),
        ("SAMPARK_FLOWS_DIR", root.join("call_flows").display().to_string()),
        ("SAMPARK_PROMPTS_DIR", root.join("prompts").display().to_string()),
    ]);
    Settings::from_sources(None, |name| env.get(name).cloned()).unwrap()
}

/// One whole call: (path and query, extra parameters) for each webhook.
fn call_script() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("/twilio/voice", vec![("CallStatus", "ringing")]),
        ("/twilio/voice?turn=1", vec![("Digits", "1")]),
        ("/twilio/voice?turn=2", vec![("Digits", "1")]),
        ("/twilio/voice?turn=3", vec![("Digits", "2")]), // Bihar, second on the list of states
        ("/twilio/voice?turn=4", vec![("Digits", "212")]),
        ("/twilio/voice?turn=5", vec![("Digits", "1")]),
        ("/twilio/voice?turn=6", vec![("Digits", "4")]),
        ("/twilio/voice?turn=7", vec![("RecordingUrl", "https://api.twilio.com/r/RE1"), ("RecordingDuration", "9")]),
        ("/twilio/status", vec![("CallStatus", "completed")]),
    ]
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<28} n={:<6} median={:>8.3?} p90={:>8.3?} p99={:>8.3?} max={:>8.3?}",
        samples.len(),
        pick(0.5),
        pick(0.9),
        pick(0.99),
        samples[samples.len() - 1]
    );
}

async fn bare_server() -> String {
    const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say></Response>"#;
    let router = axum::Router::new().route(
        "/twilio/voice",
        axum::routing::post(|| async { ([(axum::http::header::CONTENT_TYPE, "text/xml")], TWIML) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

#[tokio::main]
async fn main() {
    let calls: usize = std::env::var("CALLS").ok().and_then(|c| c.parse().ok()).unwrap_or(200);
    let db = tempfile::TempDir::new().unwrap();
    let app = Application::build(settings(db.path())).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let bare = bare_server().await;
    let client = reqwest::Client::new();

    let mut sampark = Vec::new();
    let mut baseline = Vec::new();
    let started = Instant::now();
    for n in 0..calls {
        let sid = format!("CA{n:032}");
        let from = format!("+9110{n:08}");
        for (path, extra) in call_script() {
            let mut form: Vec<(String, String)> = vec![
                ("CallSid".into(), sid.clone()),
                ("From".into(), from.clone()),
                ("To".into(), "+910000000000".into()),
            ];
            form.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
            let signature = sign(TOKEN, &format!("{PUBLIC_URL}{path}"), &form);
            let t = Instant::now();
            let response = client
                .post(format!("{address}{path}"))
                .header("X-Twilio-Signature", signature)
                .form(&form)
                .send()
                .await;
            let response = response.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await.unwrap();
            sampark.push(t.elapsed());

            let t = Instant::now();
            let response = client.post(format!("{bare}/twilio/voice")).form(&form).send().await.unwrap();
            response.bytes().await.unwrap();
            baseline.push(t.elapsed());
        }
    }
    let elapsed = started.elapsed();
    println!("{calls} whole calls of the default flow, one webhook at a time, SQLite (WAL, synchronous=FULL):");
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    summary("sampark webhook", sampark.clone());
    summary("bare axum, fixed TwiML", baseline.clone());
    let ratio = median(&mut sampark).as_secs_f64() / median(&mut baseline).as_secs_f64();
    println!("median ratio sampark / bare: {ratio:.1}x   (wall time {elapsed:.1?} for both, interleaved)");
}
