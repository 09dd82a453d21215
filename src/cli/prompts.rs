//! `sampark prompts`: import, coverage, placeholders.

use std::{io::Write, path::PathBuf, process::ExitCode};

use clap::Subcommand;

use crate::{config::Settings, domain::Language, flow, prompt_tools};

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// Upload every <lang>/<key>.<ext> (wav, mp3, ogg, flac) under DIR as the
    /// prompt's new version; prints each file's result, exits non-zero if
    /// any was rejected
    Import {
        /// A folder of <lang>/<key>.<ext> files, e.g. hi/welcome.mp3
        dir: PathBuf,
    },
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

pub async fn prompts(settings: &Settings, command: PromptsCommand) -> anyhow::Result<ExitCode> {
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
