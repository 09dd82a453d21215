//! `sampark loadgen`: plays whole calls of the default flow against a
//! running server — every webhook, signed as Twilio signs, the status
//! callback last — at a chosen concurrency, and reports completed calls per
//! second, webhooks per second, latency (p50, p99, max), errors and the
//! server's peak memory. In the same run it drives a bare hyper server that
//! answers a fixed TwiML body with the same requests, and prints Sampark's
//! throughput and latency as ratios of it.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use http_body_util::Full;
use hyper::{Request, Response, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::gateway::twilio::sign;

/// What to load and how hard.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Where requests go (`http://127.0.0.1:8080`).
    pub target: String,
    /// The public URL the server signs and checks against (its
    /// `SAMPARK_PUBLIC_URL`); the same as `target` when unset there.
    pub public_url: String,
    /// The server's Twilio auth token, to sign requests (unset: unsigned).
    pub token: Option<String>,
    pub calls: usize,
    pub concurrency: usize,
    /// Distinguishes runs, so calls and callers never repeat across runs.
    pub run_id: String,
}

/// One webhook the server answered with success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub call_sid: String,
    /// `turn:N` for the voice webhooks, `status:completed` for the last.
    pub dedupe_key: String,
}

/// The figures of one run.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub calls_completed: usize,
    pub webhooks: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn calls_per_second(&self) -> f64 {
        self.calls_completed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn webhooks_per_second(&self) -> f64 {
        self.webhooks as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `q` of the webhooks fell.
    pub fn percentile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted.get(((sorted.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or_default()
    }
}

/// The webhooks of one call of the default flow: path and form additions.
fn script() -> [(&'static str, &'static [(&'static str, &'static str)]); 9] {
    [
        ("/twilio/voice", &[("CallStatus", "ringing")]),
        ("/twilio/voice?turn=1", &[("Digits", "1")]),
        ("/twilio/voice?turn=2", &[("Digits", "1")]),
        ("/twilio/voice?turn=3", &[("Digits", "10")]),
        ("/twilio/voice?turn=4", &[("Digits", "212")]),
        ("/twilio/voice?turn=5", &[("Digits", "1")]),
        ("/twilio/voice?turn=6", &[("Digits", "4")]),
        ("/twilio/voice?turn=7", &[("RecordingUrl", "https://api.twilio.com/r/RE1"), ("RecordingDuration", "9")]),
        ("/twilio/status", &[("CallStatus", "completed"), ("CallDuration", "60")]),
    ]
}

fn dedupe_key(path: &str) -> String {
    match path.split_once("turn=") {
        Some((_, turn)) => format!("turn:{turn}"),
        None if path.ends_with("/status") => "status:completed".to_owned(),
        None => "turn:0".to_owned(),
    }
}

/// Plays `config.calls` whole calls; `on_ack` hears of every webhook the
/// server answered with success, as it happens.
pub async fn run(config: &LoadConfig, on_ack: Arc<dyn Fn(Ack) + Send + Sync>) -> LoadReport {
    crate::install_tls_provider();
    let client = reqwest::Client::builder().pool_max_idle_per_host(config.concurrency).build().expect("an HTTP client");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..config.concurrency.max(1))
        .map(|_| {
            let (client, next, config, on_ack) = (client.clone(), next.clone(), config.clone(), on_ack.clone());
            tokio::spawn(async move {
                let mut report = LoadReport::default();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= config.calls {
                        return report;
                    }
                    play_call(&client, &config, n, &mut report, on_ack.as_ref()).await;
                }
            })
        })
        .collect();
    let mut total = LoadReport::default();
    for worker in workers {
        if let Ok(report) = worker.await {
            total.calls_completed += report.calls_completed;
            total.webhooks += report.webhooks;
            total.errors += report.errors;
            total.latencies.extend(report.latencies);
        }
    }
    total.elapsed = started.elapsed();
    total
}

async fn play_call(
    client: &reqwest::Client,
    config: &LoadConfig,
    n: usize,
    report: &mut LoadReport,
    on_ack: &(dyn Fn(Ack) + Send + Sync),
) {
    let call_sid = format!("CA{}{n:012}", config.run_id);
    // Fake numbers in a reserved-looking range, unique per call.
    let caller = format!("+9110{:08}", n % 100_000_000);
    for (path, extra) in script() {
        let mut form: Vec<(String, String)> = vec![
            ("AccountSid".into(), "AC00000000000000000000000000000000".into()),
            ("CallSid".into(), call_sid.clone()),
            ("From".into(), caller.clone()),
            ("To".into(), "+910000000000".into()),
        ];
        form.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut request = client.post(format!("{}{path}", config.target)).form(&form);
        if let Some(token) = &config.token {
            request = request.header("X-Twilio-Signature", sign(token, &format!("{}{path}", config.public_url), &form));
        }
        let t = Instant::now();
        let ok = match request.send().await {
            Ok(response) => {
                let ok = response.status().is_success();
                ok && response.bytes().await.is_ok()
            }
            Err(_) => false,
        };
        report.latencies.push(t.elapsed());
        report.webhooks += 1;
        if !ok {
            report.errors += 1;
            return;
        }
        on_ack(Ack { call_sid: call_sid.clone(), dedupe_key: dedupe_key(path) });
    }
    report.calls_completed += 1;
}

/// A bare hyper server answering every request with a fixed TwiML body: the
/// floor Sampark's figures are compared with.
pub async fn bare_server() -> std::io::Result<SocketAddr> {
    const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say><Hangup/></Response>"#;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_request: Request<hyper::body::Incoming>| async {
                    let mut response = Response::new(Full::new(Bytes::from_static(TWIML.as_bytes())));
                    response.headers_mut().insert("content-type", "text/xml".parse().expect("a header value"));
                    Ok::<_, std::convert::Infallible>(response)
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Ok(address)
}

/// A process's peak resident memory (`VmHWM`), in kB, on Linux.
pub fn peak_memory_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
