//! The `sampark` command line.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{
    auth::{UserStore, new_user},
    cases::{CaseStore, ExportFormat, write_export},
    config::{LogFormat, Settings},
    domain::Language,
    flow::{self, Flow, flow_files, load_files},
    prompt_tools,
    prompts::Catalog,
    startup::Application,
    telemetry,
};

#[derive(Debug, Parser)]
#[command(name = "sampark", version, about = "IVR helpline server for migrant workers")]
pub struct Cli {
    /// Settings file (default: ./sampark.toml when it exists; env SAMPARK_CONFIG)
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the webhook server (SQLite file sampark.db by default)
    Serve,
    /// Check and show call flows
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
    /// Work with callers' cases
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// For measuring: play whole calls against a running server and report
    /// its CPU per webhook, throughput, latency, errors and memory, beside a
    /// bare hyper server in the same run
    #[command(display_order = 100)]
    Loadgen(crate::loadgen::LoadgenArgs),
    /// The bare hyper server `sampark loadgen` compares with, in a process
    /// of its own: prints its address, serves until standard input closes
    #[command(hide = true)]
    LoadgenBare,
    /// For measuring: fill an empty database with synthetic calls, events
    /// and cases (five events a case), to measure Sampark at national scale
    #[command(display_order = 101)]
    Fill {
        /// Cases to create (each with one call of five events), e.g. 10000000
        #[arg(long)]
        cases: u64,
    },
    /// Manage volunteers, coordinators and admins
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Prompt recordings: import a folder, see what is recorded, make
    /// placeholders with espeak-ng
    Prompts {
        #[command(subcommand)]
        command: PromptsCommand,
    },
    /// Try a call flow in the terminal: prompts shown (and played, with the
    /// `playback` feature), keys read from standard input (`.` is silence);
    /// prints the case the call queued
    Simulate {
        /// The flow that answers (default: SAMPARK_FLOW)
        #[arg(long)]
        flow: Option<String>,
        /// Write the call into this database (default: a scratch database,
        /// deleted afterwards, so the real queue gets no made-up caller)
        #[arg(long)]
        database: Option<String>,
        /// The caller's number
        #[arg(long, default_value = crate::simulate::DEFAULT_CALLER)]
        caller: String,
        /// Do not play recordings, even when built with playback
        #[arg(long)]
        no_audio: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PromptsCommand {
    /// Upload every <lang>/<key>.<ext> (wav, mp3, ogg, flac) under DIR as the
    /// prompt's new version; prints each file's result, exits non-zero if
    /// any was rejected
    Import { dir: PathBuf },
    /// Every prompt of the active flows × languages: recorded (with its
    /// length), synthetic, text only (spoken by the gateway), or missing
    Coverage {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Placeholder recordings from the catalog's text with espeak-ng, for
    /// every prompt that has none; marked synthetic
    Synth {
        /// Only this language
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Add a user; the password is read from standard input
    Add {
        name: String,
        /// What they may do: volunteer (calls back the cases of their states
        /// and languages), coordinator (their states' figures and export),
        /// admin (everything, users and prompts too)
        #[arg(long, value_parser = ["volunteer", "coordinator", "admin"])]
        role: String,
        /// LGD state codes served or coordinated, comma-separated (`9,10`)
        #[arg(long, default_value = "")]
        states: String,
        /// Languages spoken, comma-separated (`hi,bn`)
        #[arg(long, default_value = "")]
        languages: String,
        /// The user's own phone, rung first by "Call now"
        #[arg(long, default_value = "")]
        phone: String,
        /// Read the password from standard input (never from the command line)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Disable a user (their sessions end at once)
    Disable { name: String },
    /// Enable a disabled user
    Enable { name: String },
}

#[derive(Debug, Subcommand)]
enum FlowsCommand {
    /// Check flow files: every node reachable, every edge lands, every prompt
    /// in the catalog, every path ends. Exits non-zero on any problem.
    Check {
        /// Flow files (default: every *.toml in the flows directory)
        files: Vec<PathBuf>,
        /// Prompts directory holding catalog.toml (default: settings)
        #[arg(long)]
        prompts: Option<PathBuf>,
    },
    /// Print a flow as a Mermaid graph
    Graph { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum CasesCommand {
    /// Erase the personal fields of cases closed more than N days ago
    /// (what `serve` does hourly with SAMPARK_RETENTION_DAYS)
    Purge {
        /// Days after closing (default: SAMPARK_RETENTION_DAYS)
        #[arg(long)]
        older_than_days: Option<u32>,
    },
    /// Write every case, one row each (database: SAMPARK_DATABASE_URL)
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::install_tls_provider();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            telemetry::init(settings.log_format);
            runtime()?.block_on(async {
                Application::build(settings).await?.run_until_stopped().await?;
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Flows { command: FlowsCommand::Check { files, prompts } } => {
            let prompts = prompts.unwrap_or(settings.prompts_dir);
            let files = if files.is_empty() { flow_files(&settings.flows_dir)? } else { files };
            check_flows(&files, &prompts, &mut std::io::stdout())
        }
        Command::Flows { command: FlowsCommand::Graph { file } } => {
            let source = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let flow = Flow::parse(&source, None).map_err(|e| anyhow::anyhow!("{}:\n{e}", file.display()))?;
            print!("{}", flow.to_mermaid());
            Ok(ExitCode::SUCCESS)
        }
        Command::Cases { command: CasesCommand::Export { format, output } } => {
            telemetry::init(LogFormat::Pretty);
            runtime()?.block_on(export(&settings.database_url, format, output.as_deref()))
        }
        Command::Users { command } => runtime()?.block_on(users(&settings, command)),
        Command::Fill { cases } => {
            telemetry::init(LogFormat::Pretty);
            runtime()?.block_on(async {
                crate::fill::fill(&settings.database_url, cases).await?;
                println!("filled with {cases} cases, {} calls, {} events", cases, cases * 5);
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Loadgen(args) => {
            let token = args.token_or(settings.twilio_auth_token.as_ref().map(|t| t.expose().to_owned()));
            runtime()?.block_on(crate::loadgen::loadgen(args, token))
        }
        Command::LoadgenBare => runtime()?.block_on(crate::loadgen::serve_bare()),
        Command::Prompts { command } => {
            telemetry::init_quiet();
            runtime()?.block_on(prompts(&settings, command))
        }
        Command::Simulate { flow, database, caller, no_audio } => {
            telemetry::init_quiet();
            let options = crate::simulate::Options { flow, database_url: database, caller, audio: !no_audio };
            runtime()?.block_on(async {
                let stdin = std::io::stdin();
                let mut input = stdin.lock();
                let mut out = std::io::stdout();
                crate::simulate::run(&settings, &options, &mut input, &mut out).await?;
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Cases { command: CasesCommand::Purge { older_than_days } } => {
            telemetry::init(LogFormat::Pretty);
            let days = older_than_days
                .or(settings.retention_days)
                .context("give --older-than-days or set SAMPARK_RETENTION_DAYS")?;
            runtime()?.block_on(purge(&settings, days))
        }
    }
}

async fn prompts(settings: &Settings, command: PromptsCommand) -> anyhow::Result<ExitCode> {
    let (db, library, flows) = prompt_tools::open(settings).await?;
    let mut out = std::io::stdout();
    let failed = match command {
        PromptsCommand::Import { dir } => prompt_tools::import(&library, &dir, "cli:import", &mut out).await?,
        PromptsCommand::Coverage { json } => {
            let coverage = flow::coverage(library.catalog(), library.index(), &flows);
            if json {
                let totals = coverage.totals();
                let body = serde_json::json!({
                    "languages": coverage.languages, "totals": totals, "prompts": coverage.rows,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&body)?)?;
            } else {
                prompt_tools::write_coverage(&coverage, &mut out)?;
            }
            0
        }
        PromptsCommand::Synth { lang } => {
            let lang = lang.map(|l| Language::parse(&l)).transpose().map_err(|e| anyhow::anyhow!("--lang: {e}"))?;
            prompt_tools::synth(&library, &flows, lang.as_ref(), &mut out).await?
        }
    };
    db.close().await;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Prints each file's verdict and every problem; failure if any.
fn check_flows(files: &[PathBuf], prompts: &Path, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load(prompts)?;
    if files.is_empty() {
        anyhow::bail!("no flow files to check");
    }
    let mut failed = false;
    for file in load_files(files, &catalog) {
        match file.result {
            Ok(flow) => writeln!(
                out,
                "{}: ok (flow `{}`, version {}, {} nodes)",
                file.path.display(),
                flow.id,
                flow.version,
                flow.nodes.len()
            )?,
            Err(problems) => {
                failed = true;
                for problem in problems {
                    writeln!(out, "{}: {problem}", file.path.display())?;
                }
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

async fn export(database_url: &str, format: ExportFormat, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(database_url).await.context("cannot open the database")?;
    let cases = CaseStore::new(db.clone());
    let count = match output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            write_export(cases.export_cases(), format, std::io::BufWriter::new(file)).await?
        }
        None => write_export(cases.export_cases(), format, std::io::stdout().lock()).await?,
    };
    db.close().await;
    tracing::info!(cases = count, "exported");
    Ok(ExitCode::SUCCESS)
}

async fn users(settings: &Settings, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open(&settings.database_url).await.context("cannot open the database")?;
    let store = UserStore::new(db.clone());
    let now = chrono::Utc::now();
    match command {
        UsersCommand::Add { name, role, states, languages, phone, password_stdin: _ } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let catalog = Catalog::load(&settings.prompts_dir)?;
            let known = |l: &crate::domain::Language| catalog.language(l).is_some();
            let user = new_user(&name, &role, &states, &languages, &phone, password, &known)
                .map_err(|e| anyhow::anyhow!(e))?;
            store.create_user(&user, now).await?;
            println!("added {} ({})", user.username, user.role);
        }
        UsersCommand::List => {
            for user in store.users().await? {
                let states: Vec<String> = user.states.iter().map(ToString::to_string).collect();
                let languages: Vec<String> = user.languages.iter().map(ToString::to_string).collect();
                let disabled = if user.disabled { " (disabled)" } else { "" };
                println!(
                    "{}\t{}\tstates {}\tlanguages {}{disabled}",
                    user.username,
                    user.role,
                    states.join(","),
                    languages.join(",")
                );
            }
        }
        UsersCommand::Disable { name } => {
            store.set_user_disabled(&name, true, now).await?;
            println!("disabled {name}");
        }
        UsersCommand::Enable { name } => {
            store.set_user_disabled(&name, false, now).await?;
            println!("enabled {name}");
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn purge(settings: &Settings, days: u32) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    let cases = CaseStore::new(db.clone());
    let twilio = match (&settings.twilio_account_sid, &settings.twilio_auth_token) {
        (Some(sid), Some(token)) => Some(crate::retention::TwilioRecordings {
            client: crate::retention::no_redirect_client().context("cannot build the HTTP client")?,
            api_url: settings.twilio_api_url.clone(),
            account_sid: sid.clone(),
            auth_token: token.clone(),
        }),
        _ => None,
    };
    let purged = crate::retention::run_once(&cases, chrono::Utc::now(), days, twilio.as_ref()).await?;
    println!("erased the personal fields of {} closed cases", purged.cases);
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
