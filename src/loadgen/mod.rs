//! `sampark loadgen`: plays whole calls of the default flow against a
//! running server — every webhook, signed as Twilio signs, the status
//! callback last — at a chosen concurrency, and reports, for the measured
//! window only (after a warm-up, before any idle time), throughput,
//! latency (p50, p99, max), errors, the server's CPU time per webhook from
//! `/proc/<pid>`, its threads and peak memory, and the generator's own CPU
//! per webhook. In the same run it drives a bare hyper server in a process
//! of its own with the same requests, measured the same way, and prints
//! Sampark's figures beside it with ratios.

mod bare;
mod client;
mod command;
pub mod process;
mod report;
mod script;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Barrier;

pub use command::{LoadgenArgs, loadgen, serve_bare};
pub use process::peak_memory_kb;
pub use script::WEBHOOKS_PER_CALL;

use self::{
    client::{Connection, Target},
    process::{ProcStat, read_stat},
    script::{CallValues, Signer, Step},
};

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

/// Hears of every webhook answered with success, as it happens.
pub type OnAck = Arc<dyn Fn(Ack) + Send + Sync>;

/// The figures of one run's measured window.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub calls_completed: usize,
    /// Webhooks sent, answered or not.
    pub webhooks: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Every webhook's latency, sorted once the run is over.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn calls_per_second(&self) -> f64 {
        self.calls_completed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn webhooks_per_second(&self) -> f64 {
        self.webhooks as f64 / self.elapsed.as_secs_f64()
    }

    /// Webhooks the server answered with success: what CPU time is divided by.
    pub fn answered(&self) -> usize {
        self.webhooks - self.errors
    }

    /// The latency below which `q` of the webhooks fell.
    pub fn percentile(&self, q: f64) -> Duration {
        let at = ((self.latencies.len().max(1) - 1) as f64 * q).round() as usize;
        self.latencies.get(at).copied().unwrap_or_default()
    }

    fn merge(&mut self, other: Self) {
        self.calls_completed += other.calls_completed;
        self.webhooks += other.webhooks;
        self.errors += other.errors;
        self.latencies.extend(other.latencies);
    }
}

/// How a run is measured: calls played first and left out of every figure
/// (they open the connections and warm the server's caches), and processes
/// whose `/proc/<pid>/stat` is read at the window's edges.
#[derive(Debug, Clone, Default)]
pub struct Measure {
    pub warmup_calls: usize,
    pub watched: Vec<u32>,
}

/// The window's report and, per watched process, its readings at the start
/// and the end (`None` where `/proc` could not be read).
pub struct Measured {
    pub report: LoadReport,
    pub stats: Vec<Option<(ProcStat, ProcStat)>>,
}

/// Plays `config.calls` whole calls, all of them measured.
pub async fn run(config: &LoadConfig, on_ack: OnAck) -> LoadReport {
    run_measured(config, Some(on_ack), &Measure::default()).await.map(|m| m.report).unwrap_or_default()
}

/// Plays `measure.warmup_calls` calls, then, in the window, `config.calls`
/// calls, reading the watched processes' CPU time just before the window
/// opens and just after its last answer. Without `on_ack` nothing is
/// allocated to tell of each answer.
pub async fn run_measured(config: &LoadConfig, on_ack: Option<OnAck>, measure: &Measure) -> anyhow::Result<Measured> {
    let target = Target::parse(&config.target)?;
    let plan = Arc::new(Plan {
        steps: script::steps(&target.path_prefix, &config.public_url)?,
        signer: config.token.as_deref().map(Signer::new),
        config: config.clone(),
        warmup_calls: measure.warmup_calls,
        next_warmup: AtomicUsize::new(0),
        next: AtomicUsize::new(0),
    });
    let workers = config.concurrency.max(1);
    let (warm, start) = (Arc::new(Barrier::new(workers + 1)), Arc::new(Barrier::new(workers + 1)));
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (plan, on_ack, warm, start) = (plan.clone(), on_ack.clone(), warm.clone(), start.clone());
            let connection = Connection::new(target.clone());
            tokio::spawn(async move { worker(&plan, connection, on_ack.as_ref(), &warm, &start).await })
        })
        .collect();
    warm.wait().await;
    let before: Vec<Option<ProcStat>> = measure.watched.iter().map(|pid| read_stat(*pid)).collect();
    start.wait().await;
    let started = Instant::now();
    let mut report = LoadReport::default();
    for handle in handles {
        report.merge(handle.await?);
    }
    report.elapsed = started.elapsed();
    let after = measure.watched.iter().map(|pid| read_stat(*pid));
    let stats = before.into_iter().zip(after).map(|(b, a)| b.zip(a)).collect();
    report.latencies.sort_unstable();
    Ok(Measured { report, stats })
}

/// What every worker shares: the prepared script and the call counters.
struct Plan {
    steps: Vec<Step>,
    signer: Option<Signer>,
    config: LoadConfig,
    warmup_calls: usize,
    next_warmup: AtomicUsize,
    next: AtomicUsize,
}

impl Plan {
    /// The next call to play, or `None` when all are taken; warm-up calls
    /// are numbered after the measured ones, so none repeats a call id.
    fn take(&self, warmup: bool) -> Option<usize> {
        let (counter, limit, offset) = if warmup {
            (&self.next_warmup, self.warmup_calls, self.config.calls)
        } else {
            (&self.next, self.config.calls, 0)
        };
        let n = counter.fetch_add(1, Ordering::Relaxed);
        (n < limit).then_some(n + offset)
    }
}

async fn worker(
    plan: &Plan,
    mut connection: Connection,
    on_ack: Option<&OnAck>,
    warm: &Barrier,
    start: &Barrier,
) -> LoadReport {
    let mut ignored = LoadReport::default();
    while let Some(n) = plan.take(true) {
        play_call(plan, &mut connection, n, &mut ignored, on_ack).await;
    }
    warm.wait().await;
    start.wait().await;
    let share = plan.config.calls / plan.config.concurrency.max(1) + 1;
    let mut report = LoadReport { latencies: Vec::with_capacity(share * WEBHOOKS_PER_CALL), ..LoadReport::default() };
    while let Some(n) = plan.take(false) {
        play_call(plan, &mut connection, n, &mut report, on_ack).await;
    }
    report
}

/// One whole call; it stops at its first failed webhook, as a gateway
/// would give up on the call. A webhook fails when the request fails, the
/// status is not 2xx, or the caller is hung up on before the voice message.
async fn play_call(
    plan: &Plan,
    connection: &mut Connection,
    n: usize,
    report: &mut LoadReport,
    on_ack: Option<&OnAck>,
) {
    let call = CallValues::new(&plan.config.run_id, n);
    for step in &plan.steps {
        let signature = plan.signer.as_ref().map(|signer| signer.sign(step, &call));
        let body = script::body(step, &call);
        let sent = Instant::now();
        let answer = connection.post(step.uri.clone(), body, signature).await;
        let ok = answer.is_some_and(|answer| step.accepts(&answer));
        report.latencies.push(sent.elapsed());
        report.webhooks += 1;
        if !ok {
            report.errors += 1;
            return;
        }
        if let Some(on_ack) = on_ack {
            on_ack(Ack { call_sid: call.call_sid.clone(), dedupe_key: step.dedupe_key.to_owned() });
        }
    }
    report.calls_completed += 1;
}
