//! `sampark users`: volunteers, coordinators and admins.
//!
//! The fields are judged by the same rules as on the admin page
//! (`auth::new_user`, `auth::Profile::with`, `auth::one_time_password`);
//! every change is written to the audit log, as done on the command line.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::{
    audit::{AuditEntry, AuditStore},
    auth::{Profile, ProfileChange, User, UserStore, new_user, one_time_password},
    config::Settings,
    db::StoreError,
    prompts::Catalog,
};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from standard input
    Add {
        /// Their username: 3–32 lower-case letters, digits, `.`, `_` or `-`
        name: String,
        /// What they may do: volunteer (calls back the cases of their states
        /// and languages), coordinator (their states' figures and export),
        /// admin (everything, users and prompts too), central (the central
        /// office: rollups without personal data, nothing else)
        #[arg(long, value_parser = ["volunteer", "coordinator", "admin", "central"])]
        role: String,
        /// LGD state codes served or coordinated, comma-separated (`9,10`);
        /// each must be a state of the bundled directory
        #[arg(long, default_value = "")]
        states: String,
        /// Languages spoken, comma-separated (`hi,bn`); each must be a
        /// language of the prompt catalog
        #[arg(long, default_value = "")]
        languages: String,
        /// The user's own phone, rung first by "Call now"
        #[arg(long, default_value = "")]
        phone: String,
        /// Read the password from standard input (never from the command line)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Change a user's role, states, languages or phone: only the options
    /// given change, and an empty value (`--states ''`) clears one
    Edit {
        /// The user to change
        name: String,
        /// Their new role (what each may do: `sampark users add --help`)
        #[arg(long, value_parser = ["volunteer", "coordinator", "admin", "central"])]
        role: Option<String>,
        /// The LGD state codes they serve from now on, comma-separated
        /// (`9,10`), replacing the ones they had
        #[arg(long)]
        states: Option<String>,
        /// The languages they speak from now on, comma-separated (`hi,bn`),
        /// replacing the ones they had
        #[arg(long)]
        languages: Option<String>,
        /// Their own phone, rung first by "Call now" (`''` for none)
        #[arg(long)]
        phone: Option<String>,
    },
    /// Give a user a one-time password, read from standard input: their
    /// sessions end, and at their next sign-in they must choose their own
    ResetPassword {
        /// The user whose password is reset
        name: String,
        /// Read the one-time password from standard input (never from the
        /// command line)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users
    List,
    /// Disable a user (their sessions end at once)
    Disable {
        /// The user to disable
        name: String,
    },
    /// Enable a disabled user
    Enable {
        /// The user to enable
        name: String,
    },
}

pub async fn users(settings: &Settings, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    let store = UserStore::new(db.clone());
    let audit = Audit(AuditStore::new(db.clone()));
    let now = chrono::Utc::now();
    match command {
        UsersCommand::Add { name, role, states, languages, phone, password_stdin: _ } => {
            let password = read_password()?;
            let catalog = Catalog::load(&settings.prompts_dir)?;
            let known = |l: &crate::domain::Language| catalog.language(l).is_some();
            let user = new_user(&name, &role, &states, &languages, &phone, &password, &known)
                .map_err(|e| anyhow::anyhow!(e))?;
            store.create_user(&user, now).await?;
            audit.record("user_add", format!("{} ({})", user.username, user.role)).await?;
            println!("added {} ({})", user.username, user.role);
        }
        UsersCommand::Edit { name, role, states, languages, phone } => {
            let change = ProfileChange {
                role: role.as_deref(),
                states: states.as_deref(),
                languages: languages.as_deref(),
                phone: phone.as_deref(),
            };
            edit(settings, &store, &audit, &name, &change).await?;
        }
        UsersCommand::ResetPassword { name, password_stdin: _ } => {
            existing(&store, &name).await?;
            let password = read_password()?;
            let hash = one_time_password(&name, &password)?;
            store.reset_password(&name, &hash, now).await.map_err(|e| no_such(e, &name))?;
            audit.record("password_reset", name.clone()).await?;
            println!(
                "{name}: one-time password set, their sessions ended; they choose their own at their next sign-in"
            );
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
            store.set_user_disabled(&name, true, now).await.map_err(|e| no_such(e, &name))?;
            audit.record("user_disable", name.clone()).await?;
            println!("disabled {name}");
        }
        UsersCommand::Enable { name } => {
            store.set_user_disabled(&name, false, now).await.map_err(|e| no_such(e, &name))?;
            audit.record("user_enable", name.clone()).await?;
            println!("enabled {name}");
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Applies `change` to the user `name` and says what changed.
async fn edit(
    settings: &Settings,
    store: &UserStore,
    audit: &Audit,
    name: &str,
    change: &ProfileChange<'_>,
) -> anyhow::Result<()> {
    if change.is_empty() {
        anyhow::bail!("nothing to change: give --role, --states, --languages or --phone");
    }
    let user = existing(store, name).await?;
    let catalog = Catalog::load(&settings.prompts_dir)?;
    let known = |l: &crate::domain::Language| catalog.language(l).is_some();
    let before = Profile::of(&user);
    let after = before.with(change, &known).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let changes = after.changes_from(&before);
    if changes.is_empty() {
        println!("{name}: nothing changed");
        return Ok(());
    }
    store.update_profile(name, &after).await.map_err(|e| no_such(e, name))?;
    audit.record("user_edit", format!("{name}: {changes}")).await?;
    println!("{name}: {changes}");
    Ok(())
}

/// The user called `name`, or an error saying there is none.
async fn existing(store: &UserStore, name: &str) -> anyhow::Result<User> {
    store.user(name).await?.ok_or_else(|| no_such(StoreError::NotFound, name))
}

/// "No such user" for a user the store did not find; other errors as they are.
fn no_such(e: StoreError, name: &str) -> anyhow::Error {
    match e {
        StoreError::NotFound => anyhow::anyhow!("there is no user `{name}` (`sampark users list` shows them)"),
        e => e.into(),
    }
}

/// One line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("cannot read the password from standard input")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_owned())
}

/// The audit log, as the command line writes to it: by nobody signed in,
/// marked as done on the command line.
pub(super) struct Audit(pub(super) AuditStore);

impl Audit {
    pub(super) async fn record(&self, action: &str, details: String) -> anyhow::Result<()> {
        let entry = AuditEntry {
            at: chrono::Utc::now(),
            user_id: None,
            username: None,
            action: action.to_owned(),
            case_id: None,
            details: Some(format!("{details} (command line)")),
        };
        Ok(self.0.record(&entry).await?)
    }
}
