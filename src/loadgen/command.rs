//! `sampark loadgen` as a command: plays the calls against the server, then
//! against a bare hyper server it starts in a process of its own, and
//! prints both columns; and `sampark loadgen-bare`, that process.

use std::{io::Write, process::ExitCode};

use super::{
    LoadConfig, Measure, WEBHOOKS_PER_CALL,
    bare::{self, BareServer},
    process::{peak_memory_kb, ticks_per_second},
    report::{Comparison, Figures},
    run_measured,
};

/// `sampark loadgen`: every call is the default flow's nine webhooks (eight
/// TwiML turns and the status callback), signed as Twilio signs them when a
/// token is given. Point it at a server you started for the purpose: its
/// database fills with synthetic calls and cases.
#[derive(Debug, clap::Args)]
pub struct LoadgenArgs {
    /// The server to load (plain http://)
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    target: String,
    /// The server's SAMPARK_PUBLIC_URL, which it checks signatures against (default: --target)
    #[arg(long)]
    public_url: Option<String>,
    /// The server's Twilio auth token, to sign requests (default: SAMPARK_TWILIO_AUTH_TOKEN)
    #[arg(long)]
    twilio_token: Option<String>,
    /// Whole calls to play in the measured window
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// Calls in progress at once (one connection each)
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Calls played first and left out of every figure (default: --concurrency)
    #[arg(long)]
    warmup_calls: Option<usize>,
    /// The server's process id, to report its CPU per webhook, threads and
    /// peak memory from /proc (Linux); the process itself, not a wrapper
    /// such as `cargo run`
    #[arg(long)]
    server_pid: Option<u32>,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
}

impl LoadgenArgs {
    /// The token from `--twilio-token`, else the settings' one.
    pub fn token_or(&self, settings_token: Option<String>) -> Option<String> {
        self.twilio_token.clone().or(settings_token)
    }
}

/// Runs `sampark loadgen`; failure when any webhook failed.
pub async fn loadgen(args: LoadgenArgs, token: Option<String>) -> anyhow::Result<ExitCode> {
    crate::install_tls_provider();
    let run_id = format!("{:08x}", chrono::Utc::now().timestamp_millis() & 0xffff_ffff);
    let config = LoadConfig {
        target: args.target.trim_end_matches('/').to_owned(),
        public_url: args.public_url.as_deref().unwrap_or(&args.target).trim_end_matches('/').to_owned(),
        token,
        calls: args.calls,
        concurrency: args.concurrency,
        run_id,
    };
    let warmup_calls = args.warmup_calls.unwrap_or(args.concurrency);
    if !args.json {
        eprintln!("loading {} …", config.target);
    }
    let sampark = measure(&config, warmup_calls, args.server_pid).await?;
    let bare = BareServer::spawn().await?;
    let bare_config = LoadConfig {
        target: format!("http://{}", bare.address),
        run_id: format!("{}b", config.run_id),
        ..config.clone()
    };
    if !args.json {
        eprintln!("loading the bare hyper server at {} …", bare.address);
    }
    let baseline = measure(&bare_config, warmup_calls, Some(bare.pid)).await;
    bare.stop().await;
    let baseline = baseline?;
    let comparison = Comparison {
        calls: config.calls,
        concurrency: config.concurrency,
        warmup_calls,
        webhooks_per_call: WEBHOOKS_PER_CALL,
        signed: config.token.is_some(),
        clock_ticks_per_second: ticks_per_second(),
        sampark_over_bare: Comparison::ratios(&sampark, &baseline),
        sampark,
        bare_hyper: baseline,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&comparison)?)?;
    } else {
        comparison.write_table(&mut out)?;
    }
    let failed = comparison.sampark.errors + comparison.bare_hyper.errors > 0;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// One column: the calls against one server, with its `/proc` readings
/// and the generator's own around the window.
async fn measure(config: &LoadConfig, warmup_calls: usize, server_pid: Option<u32>) -> anyhow::Result<Figures> {
    let generator = std::process::id();
    let watched = [Some(generator), server_pid].into_iter().flatten().collect();
    let measured = run_measured(config, None, &Measure { warmup_calls, watched }).await?;
    let loadgen = measured.stats.first().copied().flatten();
    let server = measured.stats.get(1).copied().flatten();
    let peak_kb = server_pid.and_then(peak_memory_kb);
    Ok(Figures::new(&measured.report, server, loadgen, peak_kb, ticks_per_second()))
}

/// Runs `sampark loadgen-bare` (hidden; started by `sampark loadgen`).
pub async fn serve_bare() -> anyhow::Result<ExitCode> {
    bare::serve().await?;
    Ok(ExitCode::SUCCESS)
}
