//! `sampark users`: volunteers, coordinators and admins.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::{
    auth::{UserStore, new_user},
    config::Settings,
    prompts::Catalog,
};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from standard input
    Add {
        /// The sign-in name: 3 to 32 lower-case letters, digits, `.`, `_` or `-`
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
    Disable {
        /// The user's sign-in name
        name: String,
    },
    /// Enable a disabled user
    Enable {
        /// The user's sign-in name
        name: String,
    },
}

pub async fn users(settings: &Settings, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
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
