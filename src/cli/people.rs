//! `sampark people` (the national database) and `sampark import` (a list
//! into it).

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Subcommand;

use crate::{
    audit::{AuditEntry, AuditStore},
    cases::ExportFormat,
    config::Settings,
    directory::Directory,
    people::PeopleStore,
};

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Write every person, one row each: phone, name, language, home state
    /// and district (LGD codes and names), village, ward, post office, PIN,
    /// current location, need, consent, sources. The CSV opens safely in a
    /// spreadsheet: cells starting with = + - @ are escaped with '
    Export {
        /// csv (a header row, then one row a person) or jsonl
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write here instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Read-only tokens for partners' systems (GET /api/v1/people), each
    /// scoped to one unit's people
    Partner {
        #[command(subcommand)]
        command: PartnerCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Make a token for partner NAME; it is printed once, only its hash is kept
    Add {
        /// The partner's name, e.g. relief-ngo (unique)
        name: String,
        /// The unit whose people it reads (`sampark units list`)
        #[arg(long)]
        unit: String,
    },
    /// Revoke partner NAME's token at once
    Revoke {
        /// The partner's name
        name: String,
    },
}

pub async fn people(settings: &Settings, command: PeopleCommand) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    let store = PeopleStore::new(db.clone());
    match command {
        PeopleCommand::Export { format, output } => {
            let directory = Directory::bundled();
            let count = match &output {
                Some(path) => {
                    let file =
                        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
                    store.export(directory, format, std::io::BufWriter::new(file)).await?
                }
                None => store.export(directory, format, std::io::stdout().lock()).await?,
            };
            let entry = AuditEntry {
                at: chrono::Utc::now(),
                user_id: None,
                username: None,
                action: "export_people".to_owned(),
                case_id: None,
                details: Some(format!("command line: {count} people")),
            };
            AuditStore::new(db.clone()).record(&entry).await?;
            eprintln!("exported {count} people");
        }
        PeopleCommand::Partner { command: PartnerCommand::Add { name, unit } } => {
            let unit_id = crate::units::UnitStore::new(db.clone())
                .unit(&unit)
                .await?
                .map(|u| u.id)
                .with_context(|| format!("there is no unit named {unit}"))?;
            let token = store.add_partner(&name, unit_id, chrono::Utc::now()).await?;
            println!("{token}");
            eprintln!(
                "partner {name} reads unit {unit}'s people with this token (shown once): Authorization: Bearer …"
            );
        }
        PeopleCommand::Partner { command: PartnerCommand::Revoke { name } } => {
            if !store.revoke_partner(&name, chrono::Utc::now()).await? {
                anyhow::bail!("no partner named {name} holds a token");
            }
            eprintln!("revoked partner {name}'s token");
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
