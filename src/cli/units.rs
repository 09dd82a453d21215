//! `sampark units`: state units, the states they serve and their members.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::users::Audit;
use crate::{
    audit::AuditStore, auth::parse_list, config::Settings, db::StoreError, domain::StateCode, units::UnitStore,
};

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Add a unit: a state office of the organisation, or a partner NGO
    Add {
        /// Its short name: 2–32 lower-case letters, digits, `.`, `_` or `-` (`bihar`)
        name: String,
        /// Its name as people say it ("Bihar state unit")
        #[arg(long)]
        title: String,
        /// LGD codes of the states it serves, comma-separated (`10,9`)
        #[arg(long, default_value = "")]
        states: String,
    },
    /// List the units, with their states and members
    List,
    /// Add or remove a unit's members
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Make a user a member of a unit: they see the cases handed to it
    Add {
        /// The unit's short name
        unit: String,
        /// The user's username
        username: String,
    },
    /// End a user's membership of a unit
    Remove {
        /// The unit's short name
        unit: String,
        /// The user's username
        username: String,
    },
}

pub async fn units(settings: &Settings, command: UnitsCommand) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    let store = UnitStore::new(db.clone());
    let audit = Audit(AuditStore::new(db));
    match command {
        UnitsCommand::Add { name, title, states } => {
            let states = parse_states(&states)?;
            store.create_unit(&name, &title, &states, chrono::Utc::now()).await?;
            let codes: Vec<String> = states.iter().map(ToString::to_string).collect();
            audit.record("unit_add", format!("{name} (states {})", codes.join(","))).await?;
            println!("added unit {name}");
        }
        UnitsCommand::List => {
            for unit in store.units().await? {
                let states: Vec<String> = unit.states.iter().map(ToString::to_string).collect();
                println!(
                    "{}\t{}\tstates {}\tmembers {}",
                    unit.name,
                    unit.title,
                    or_none(&states.join(",")),
                    or_none(&unit.members.join(","))
                );
            }
        }
        UnitsCommand::Members { command: MembersCommand::Add { unit, username } } => {
            let added = store.add_member(&unit, &username).await.map_err(|e| no_such(e, &unit, &username))?;
            audit.record("unit_member_add", format!("{username} → {unit}")).await?;
            println!("{username} {} of {unit}", if added { "is now a member" } else { "was already a member" });
        }
        UnitsCommand::Members { command: MembersCommand::Remove { unit, username } } => {
            let removed = store.remove_member(&unit, &username).await.map_err(|e| no_such(e, &unit, &username))?;
            audit.record("unit_member_remove", format!("{username} ✕ {unit}")).await?;
            println!("{username} {} of {unit}", if removed { "is no longer a member" } else { "was not a member" });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// States as LGD codes, each a state of the bundled directory.
fn parse_states(text: &str) -> anyhow::Result<Vec<StateCode>> {
    let directory = crate::directory::Directory::bundled();
    parse_list(text, |s| {
        let code = s.parse::<StateCode>().map_err(|_| format!("`{s}` is not a state code"))?;
        directory.state(code).map(|_| code).ok_or_else(|| format!("no state has the LGD code {s}"))
    })
    .map_err(|e| anyhow::anyhow!("--states: {e}"))
}

fn or_none(list: &str) -> &str {
    if list.is_empty() { "-" } else { list }
}

fn no_such(e: StoreError, unit: &str, username: &str) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow::anyhow!("no unit `{unit}` or no user `{username}` (see `sampark units list`)"),
        e => e.into(),
    }
}
