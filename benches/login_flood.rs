//! Login flood: starts the release server binary on a fresh SQLite
//! database, fires many concurrent sign-ins for unknown users (each from
//! its own address, through `X-Forwarded-For` from a trusted proxy, so no
//! per-address throttle hides the hashing), samples the server's resident
//! memory from `/proc/<pid>/status` throughout, and times Twilio webhooks
//! sent while the flood runs.
//!
//! Goal (issue 9, item 2): 300 concurrent sign-ins leave the server under
//! 150 MB resident and a webhook sent during them answers in under 500 ms.
//!
//! Webhooks are also timed for a second before the flood, to tell the flood's
//! cost from the machine's.
//!
//! Run: `cargo bench --bench login_flood` (LOGINS=300 to change the count;
//! SAMPARK_BIN=path to measure another build of the server).

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sampark::gateway::twilio::sign;

const PUBLIC_URL: &str = "https://sampark.bench";
const TOKEN: &str = "bench-token";
/// One webhook probe this often while the flood runs.
const PROBE_EVERY: Duration = Duration::from_millis(50);

/// The server under test, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_server(dir: &Path) -> Server {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let port = free_port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let binary = std::env::var_os("SAMPARK_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_sampark").into());
    let child = Command::new(binary)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn,sqlx=error")
        .env("SAMPARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("SAMPARK_DATA_DIR", dir)
        .env("SAMPARK_DATABASE_URL", format!("sqlite://{}", dir.join("bench.db").display()))
        .env("SAMPARK_SPOOL_PATH", dir.join("spool.jsonl"))
        .env("SAMPARK_PUBLIC_URL", PUBLIC_URL)
        .env("SAMPARK_TWILIO_AUTH_TOKEN", TOKEN)
        .env("SAMPARK_TRUSTED_PROXIES", "127.0.0.1")
        .env("SAMPARK_FLOWS_DIR", root.join("call_flows"))
        .env("SAMPARK_PROMPTS_DIR", root.join("prompts"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the sampark binary starts");
    Server { child, address: format!("http://127.0.0.1:{port}") }
}

async fn wait_ready(client: &reqwest::Client, server: &Server) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{}/readyz", server.address)).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready in 30 s");
}

/// `VmRSS` and `VmHWM` (peak) of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A distinct documentation-range address for sign-in `n` (up to 762).
fn address(n: usize) -> String {
    let nets = ["198.51.100", "203.0.113", "192.0.2"];
    format!("{}.{}", nets[n / 254], n % 254 + 1)
}

/// The first webhook of a new call; its latency and whether it was the
/// flow's first question (not the spool's apology or an error).
async fn probe(client: reqwest::Client, address: String, n: usize) -> (Duration, bool) {
    let form: Vec<(String, String)> = vec![
        ("CallSid".into(), format!("CA{n:032}")),
        ("From".into(), format!("+9110000{n:05}")),
        ("To".into(), "+910000000000".into()),
        ("CallStatus".into(), "ringing".into()),
    ];
    let signature = sign(TOKEN, &format!("{PUBLIC_URL}/twilio/voice"), &form);
    let started = Instant::now();
    let response =
        client.post(format!("{address}/twilio/voice")).header("X-Twilio-Signature", signature).form(&form).send().await;
    let normal = match response {
        Ok(r) if r.status().is_success() => r.text().await.is_ok_and(|body| body.contains("<Gather")),
        _ => false,
    };
    (started.elapsed(), normal)
}

async fn login(client: reqwest::Client, address: String, n: usize) -> u16 {
    let body = serde_json::json!({ "username": format!("nobody-{n}"), "password": format!("not-a-password-{n}") });
    let response = client
        .post(format!("{address}/api/v1/login"))
        .header("X-Forwarded-For", self::address(n))
        .json(&body)
        .send()
        .await;
    response.map_or(0, |r| r.status().as_u16())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn summary(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "none".to_owned();
    }
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!("n={} median={:.1?} p90={:.1?} max={:.1?}", samples.len(), pick(0.5), pick(0.9), samples[samples.len() - 1])
}

#[tokio::main]
async fn main() {
    sampark::install_tls_provider();
    let logins: usize = std::env::var("LOGINS").ok().and_then(|c| c.parse().ok()).unwrap_or(300).min(762);
    let dir = tempfile::TempDir::new().unwrap();
    let server = start_server(dir.path());
    let pid = server.child.id();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    wait_ready(&client, &server).await;
    // One call answered first, so the probes measure a warm server.
    probe(client.clone(), server.address.clone(), 999_999).await;
    let mut quiet = Vec::new();
    for n in 0..20 {
        quiet.push(tokio::spawn(probe(client.clone(), server.address.clone(), 900_000 + n)));
        tokio::time::sleep(PROBE_EVERY).await;
    }
    let quiet: Vec<Duration> = futures::future::join_all(quiet).await.into_iter().map(|p| p.unwrap().0).collect();
    let (idle_rss, _) = memory(pid);

    let done = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicU64::new(idle_rss));
    let sampler = {
        let (done, peak) = (done.clone(), peak_rss.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(memory(pid).0, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let started = Instant::now();
    let flood: Vec<_> = (0..logins).map(|n| tokio::spawn(login(client.clone(), server.address.clone(), n))).collect();
    let prober = {
        let (client, address, done) = (client.clone(), server.address.clone(), done.clone());
        tokio::spawn(async move {
            let mut probes = Vec::new();
            let mut n = 0;
            while !done.load(Ordering::Relaxed) && n < 2_000 {
                probes.push(tokio::spawn(probe(client.clone(), address.clone(), n)));
                n += 1;
                tokio::time::sleep(PROBE_EVERY).await;
            }
            futures::future::join_all(probes).await
        })
    };
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for status in futures::future::join_all(flood).await {
        *statuses.entry(status.unwrap()).or_default() += 1;
    }
    let flood_time = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let probes: Vec<(Duration, bool)> = prober.await.unwrap().into_iter().map(Result::unwrap).collect();
    sampler.join().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after_rss, hwm) = memory(pid);
    let peak = peak_rss.load(Ordering::Relaxed).max(hwm);

    let normal = probes.iter().filter(|(_, ok)| *ok).count();
    let latencies: Vec<Duration> = probes.iter().map(|(d, _)| *d).collect();
    let worst = latencies.iter().max().copied().unwrap_or_default();
    let answered: Vec<String> = statuses.iter().map(|(s, n)| format!("{s} x{n}")).collect();
    println!(
        "login flood: {logins} concurrent sign-ins for unknown users, each from its own address; release server, SQLite"
    );
    println!("sign-ins answered in {flood_time:.1?}: {}", answered.join(", "));
    println!(
        "server RSS: {:.0} MB idle, peak {:.0} MB (VmHWM), {:.0} MB 2 s after the flood",
        mb(idle_rss),
        mb(peak),
        mb(after_rss)
    );
    println!("webhooks in the second before the flood: {}", summary(quiet));
    println!("webhooks sent during the flood: {}; normal TwiML {normal}/{}", summary(latencies), probes.len());
    let met = mb(peak) < 150.0 && worst < Duration::from_millis(500) && normal == probes.len();
    println!(
        "goal (peak RSS < 150 MB, every webhook < 500 ms with normal TwiML): {}",
        if met { "met" } else { "NOT met" }
    );
}
