//! `sampark migrate`, `backup` and `restore`: the database itself.

use std::{path::Path, process::ExitCode};

use anyhow::Context;

use crate::{
    config::Settings,
    db::{
        Db,
        backup::{self, Contents},
        sqlite_file,
    },
};

/// Makes the database if there is none, and brings its schema up to date.
pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = Db::open(&settings.database_url).await.context("cannot open the database")?;
    db.close().await;
    match sqlite_file(&settings.database_url) {
        Some(file) => println!("the database {} is ready", file.display()),
        None => println!("the database is ready"),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(settings: &Settings, to: &Path) -> anyhow::Result<ExitCode> {
    let contents = backup::backup(&settings.database_url, to).await?;
    println!("backed up {} to {}", describe(contents), to.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, from: &Path) -> anyhow::Result<ExitCode> {
    let restored = backup::restore(from, &settings.database_url).await?;
    let target = sqlite_file(&settings.database_url).unwrap_or_default();
    println!("restored {} from {} to {}", describe(restored.contents), from.display(), target.display());
    if let Some(kept) = restored.kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(c: Contents) -> String {
    format!("{} cases and {} calls ({:.1} MB)", c.cases, c.calls, c.bytes as f64 / 1e6)
}
