//! `sampark import FILE --source NAME`: a list into the national database.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::{
    config::Settings,
    directory::Directory,
    import::{ListFile, Mapping},
    people::{
        PeopleStore,
        import::{Plan, Report, import},
    },
};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The list: XLSX, XLS, or CSV/TSV text (UTF-8, UTF-16, Windows-1252)
    file: PathBuf,
    /// Where the list came from, e.g. bihar-labour-2020: its values are
    /// kept as from this source, and its column mapping is saved for it
    #[arg(long)]
    source: String,
    /// The unit importing it (`sampark units list`)
    #[arg(long)]
    unit: Option<String>,
    /// Report what the import would do (new, matched, conflicting, rejected,
    /// to review), and change nothing
    #[arg(long)]
    dry_run: bool,
    /// Correct the detected columns: "Mobile No=phone,Gaon=village" (a
    /// header, or a column number from 1, = a field)
    #[arg(long)]
    map: Option<String>,
    /// The workbook's sheet (default: its first)
    #[arg(long)]
    sheet: Option<String>,
    /// The source collected the list with the workers' consent
    #[arg(long)]
    consent: bool,
    /// Who imports it, as the values' provenance will say
    #[arg(long, default_value = "command line")]
    by: String,
    /// Import without asking to confirm the columns
    #[arg(long, short)]
    yes: bool,
}

pub async fn run(settings: &Settings, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let reader = ListFile::open(&args.file, args.sheet.as_deref())?;
    let headers = reader.headers().to_vec();
    let format = reader.format();
    drop(reader);
    let db = crate::db::Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    let store = PeopleStore::new(db.clone());
    let saved = store.source_mapping(&args.source).await?;
    let mut mapping = match saved.as_deref().map(serde_json::from_str::<Mapping>) {
        Some(Ok(saved)) => saved.applied_to(&headers),
        _ => Mapping::detect(&headers),
    };
    if let Some(spec) = &args.map {
        mapping = mapping.with_overrides(spec)?;
    }
    eprintln!("{} ({format}), columns:\n{}", args.file.display(), mapping.describe());
    mapping.check()?;
    if !args.dry_run && !args.yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!("check the columns above, then import with --yes (or try it first with --dry-run)");
        }
        eprint!("Import with these columns? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") {
            eprintln!("nothing imported");
            return Ok(ExitCode::FAILURE);
        }
    }
    let unit_id = match &args.unit {
        Some(unit) => Some(
            crate::units::UnitStore::new(db.clone())
                .unit(unit)
                .await?
                .map(|u| u.id)
                .with_context(|| format!("there is no unit named {unit}"))?,
        ),
        None => None,
    };
    let plan = Plan {
        source: args.source.clone(),
        unit_id,
        file_name: args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        file_sha256: sha256_of(&args.file)?,
        by: args.by.clone(),
        consent: args.consent,
        mapping: serde_json::to_string(&mapping)?,
        dry_run: args.dry_run,
        at: chrono::Utc::now(),
    };
    let list = ListFile { path: args.file.clone(), sheet: args.sheet.clone(), mapping };
    let report = import(&db, &plan, || list.lines(Directory::bundled())).await?;
    db.close().await;
    print_report(&report);
    Ok(ExitCode::SUCCESS)
}

fn sha256_of(path: &std::path::Path) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = std::io::Read::read(&mut file, &mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn print_report(report: &Report) {
    if report.already_imported {
        println!("this file was imported from this source before: nothing changed");
        println!(
            "it gave: rows {}, new people {}, matched {}, conflicting {}, rejected {}, places to check {}",
            report.rows, report.new_people, report.matched, report.conflicting, report.rejected, report.to_review
        );
        return;
    }
    let would = if report.dry_run { "would be (dry run: nothing changed)" } else { "" };
    println!(
        "rows {}{}: new people {}, matched {}, conflicting {}, rejected {}, places to check {} {would}",
        report.rows,
        if report.resumed_after > 0 { format!(" (resumed after {})", report.resumed_after) } else { String::new() },
        report.new_people,
        report.matched,
        report.conflicting,
        report.rejected,
        report.to_review,
    );
    for (row, reason) in &report.rejects {
        println!("  row {row}: {reason}");
    }
    if report.rejected > report.rejects.len() as u64 {
        println!("  … and {} more rejected rows", report.rejected - report.rejects.len() as u64);
    }
    if report.to_review > 0 && !report.dry_run {
        println!("places to check: /people/review");
    }
}
