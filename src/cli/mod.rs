//! The `sampark` command line.

use std::{io::Write, path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand};

mod cases;
mod data;
mod flows;
mod import;
mod people;
mod prompts;
mod units;
mod users;

use cases::CasesCommand;
use prompts::PromptsCommand;
use units::UnitsCommand;
use users::UsersCommand;

use crate::{
    config::{LogFormat, Settings},
    flow::{Flow, LoadedFile, load_files, load_flow_set},
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
    /// Run the webhook server: makes the database on a first start (by
    /// default sampark.db in the data directory, SAMPARK_DATA_DIR), brings
    /// its schema up to date, loads the flows and prompts
    Serve,
    /// Make the database if there is none and bring its schema up to date,
    /// then exit (`serve` does this on every start)
    Migrate,
    /// Write a consistent copy of the live SQLite database to FILE (the
    /// server may keep running); for PostgreSQL use pg_dump
    Backup {
        /// The new backup file (never overwritten)
        file: PathBuf,
    },
    /// Put a backup made by `sampark backup` in place of the database (the
    /// server must be stopped); the database it replaces is kept beside it
    Restore {
        /// A file `sampark backup` wrote
        file: PathBuf,
    },
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
    /// Import a list of workers (XLSX, XLS, CSV) into the national
    /// database: columns detected from English and Hindi headers and shown,
    /// names matched to LGD codes, a known value never replaced; --dry-run
    /// reports what it would do. The same file twice changes nothing; an
    /// interrupted import resumes when run again
    Import(import::ImportArgs),
    /// The national database: export people, partners' tokens
    People {
        #[command(subcommand)]
        command: people::PeopleCommand,
    },
    /// Manage volunteers, coordinators and admins
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// State units: add them, list them, add and remove their members
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
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
enum FlowsCommand {
    /// Check flow files: every node reachable, every edge lands, every prompt
    /// in the catalog, every path ends. Exits non-zero on any problem.
    Check {
        /// Flow files (default: the built-in flows and every *.toml in the
        /// flows directory, as `serve` loads them)
        files: Vec<PathBuf>,
        /// Prompts directory holding catalog.toml (default: settings)
        #[arg(long)]
        prompts: Option<PathBuf>,
    },
    /// The keys a scripted caller presses and the seconds of prompts they
    /// hear, question by question (recordings at their length, other
    /// prompts estimated from their words)
    Cost(flows::CostArgs),
    /// Print a flow as a Mermaid graph
    Graph {
        /// The flow file
        file: PathBuf,
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
        Command::Migrate => runtime()?.block_on(data::migrate(&settings)),
        Command::Backup { file } => runtime()?.block_on(data::backup(&settings, &file)),
        Command::Restore { file } => runtime()?.block_on(data::restore(&settings, &file)),
        Command::Flows { command: FlowsCommand::Check { files, prompts } } => {
            let catalog = Catalog::load(&prompts.unwrap_or(settings.prompts_dir))?;
            let loaded = if files.is_empty() {
                load_flow_set(&settings.flows_dir, &catalog)
                    .with_context(|| format!("cannot read the flows directory {}", settings.flows_dir.display()))?
            } else {
                load_files(&files, &catalog)
            };
            check_flows(loaded, &mut std::io::stdout())
        }
        Command::Flows { command: FlowsCommand::Cost(args) } => flows::cost(&settings, &args, &mut std::io::stdout()),
        Command::Flows { command: FlowsCommand::Graph { file } } => {
            let source = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let flow = Flow::parse(&source, None).map_err(|e| anyhow::anyhow!("{}:\n{e}", file.display()))?;
            print!("{}", flow.to_mermaid());
            Ok(ExitCode::SUCCESS)
        }
        Command::Cases { command: CasesCommand::Export { format, output } } => {
            telemetry::init(LogFormat::Pretty);
            runtime()?.block_on(cases::export(&settings.database_url, format, output.as_deref()))
        }
        Command::Users { command } => runtime()?.block_on(users::users(&settings, command)),
        Command::Import(args) => {
            telemetry::init(LogFormat::Pretty);
            runtime()?.block_on(import::run(&settings, args))
        }
        Command::People { command } => {
            telemetry::init(LogFormat::Pretty);
            runtime()?.block_on(people::people(&settings, command))
        }
        Command::Units { command } => runtime()?.block_on(units::units(&settings, command)),
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
            runtime()?.block_on(prompts::prompts(&settings, command))
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
            runtime()?.block_on(cases::purge(&settings, days))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Prints each file's verdict and every problem; failure if any.
fn check_flows(loaded: Vec<LoadedFile>, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for file in loaded {
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every subcommand and every argument says what it is for: `--help` is
    /// the manual an admin on a server has.
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_name() != "help" && !sub.is_hide_set() && sub.get_about().is_none() {
                    missing.push(name.clone());
                }
                walk(sub, &name, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "sampark", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }
}
