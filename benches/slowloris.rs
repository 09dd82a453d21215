//! Slowloris against a running server: opens many idle half-open
//! connections (a request line and part of a header, never finished) from
//! one address, then sends a gateway's first webhook from another, one at
//! a time, and prints how many were answered with TwiML and how fast; then
//! how many idle connections the server still holds.
//!
//! ```sh
//! SAMPARK_LISTEN=127.0.0.1:18082 SAMPARK_DATABASE_URL=sqlite:///tmp/slow.db \
//!   bash -c 'ulimit -Sn 1024; exec ./target/release/sampark serve' &
//! TARGET=127.0.0.1:18082 cargo bench --bench slowloris
//! ```
//!
//! Settings (environment): `TARGET` (host:port), `IDLE` (1100), `IDLE_FROM`
//! (127.0.0.2: Linux answers all of 127/8 on the loopback), `PROBES` (20),
//! `HOLD_SECS` (10: how long to wait before counting what is still open),
//! `TOKEN` and `PUBLIC_URL` when the server checks Twilio signatures.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::AsyncWriteExt,
    net::{TcpSocket, TcpStream},
};

fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn half_open(target: SocketAddr, from: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(from).ok()?;
    let mut stream = tokio::time::timeout(Duration::from_secs(2), socket.connect(target)).await.ok()?.ok()?;
    let _ = stream.write_all(b"POST /twilio/voice HTTP/1.1\r\nHost: sampark\r\nX-Slow: ").await;
    Some(stream)
}

fn still_open(stream: &TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    matches!(stream.try_read(&mut buffer), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// One first webhook on a new connection: answered with TwiML, and how long it took.
async fn probe(client: &reqwest::Client, target: SocketAddr, n: usize) -> Option<Duration> {
    let form = vec![
        ("CallSid".to_owned(), format!("CA{:016x}{n:016}", std::process::id())),
        ("From".to_owned(), format!("+9110000{n:05}")),
        ("CallStatus".to_owned(), "ringing".to_owned()),
    ];
    let mut request = client.post(format!("http://{target}/twilio/voice")).form(&form);
    if let Ok(token) = std::env::var("TOKEN") {
        let public = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{target}"));
        request = request.header(
            "X-Twilio-Signature",
            sampark::gateway::twilio::sign(&token, &format!("{public}/twilio/voice"), &form),
        );
    }
    let started = Instant::now();
    let response = request.send().await.ok()?;
    let ok = response.status() == 200;
    let body = response.text().await.ok()?;
    (ok && body.contains("<Response>")).then(|| started.elapsed())
}

#[tokio::main]
async fn main() {
    sampark::install_tls_provider();
    // This process holds every idle connection too.
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let target: SocketAddr = var("TARGET", "127.0.0.1:18082".parse().unwrap());
    let idle: usize = var("IDLE", 1100);
    let from: std::net::IpAddr = var("IDLE_FROM", "127.0.0.2".parse().unwrap());
    let probes: usize = var("PROBES", 20);
    let hold = Duration::from_secs(var("HOLD_SECS", 10));
    println!(
        "slowloris against {target}: {idle} idle connections from {from}, {probes} probes (own file limit {files})"
    );

    let mut held = Vec::with_capacity(idle);
    let mut failed = 0;
    for _ in 0..idle {
        match half_open(target, SocketAddr::new(from, 0)).await {
            Some(stream) => held.push(stream),
            None => failed += 1,
        }
    }
    println!("idle connections: {} opened, {failed} could not connect", held.len());

    let client = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(10)).build().unwrap();
    let mut latencies = Vec::new();
    for n in 0..probes {
        if let Some(elapsed) = probe(&client, target, n).await {
            latencies.push(elapsed);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    latencies.sort();
    let pick = |q: f64| latencies.get(((latencies.len().max(1) - 1) as f64 * q).round() as usize).copied();
    println!(
        "probes: {}/{probes} answered 200 with TwiML (10 s timeout); latency p50 {:?}, max {:?}",
        latencies.len(),
        pick(0.5).unwrap_or_default(),
        latencies.last().copied().unwrap_or_default()
    );

    tokio::time::sleep(hold).await;
    let open = held.iter().filter(|s| still_open(s)).count();
    println!("idle connections the server still holds after {} s more: {open} of {}", hold.as_secs(), held.len());
}
