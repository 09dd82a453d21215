//! `sampark cases`: export and purge callers' cases.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::Subcommand;

use crate::{
    cases::{CaseStore, ExportFormat, write_export},
    config::Settings,
};

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Erase the personal fields of cases closed more than N days ago
    /// (what `serve` does hourly with SAMPARK_RETENTION_DAYS)
    Purge {
        /// Days after closing (default: SAMPARK_RETENTION_DAYS)
        #[arg(long)]
        older_than_days: Option<u32>,
    },
    /// Write every case, one row each (database: SAMPARK_DATABASE_URL)
    Export {
        /// jsonl (one JSON object a line) or csv (a header row, then one row
        /// a case)
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

pub async fn export(database_url: &str, format: ExportFormat, output: Option<&Path>) -> anyhow::Result<ExitCode> {
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

pub async fn purge(settings: &Settings, days: u32) -> anyhow::Result<ExitCode> {
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
