//! Importing a list into the national database: each row's values are
//! recorded as facts from the list's source (by the people rules), names
//! the matcher was not sure of go to the review list, rejected rows are
//! kept with their reasons.
//!
//! - The file is read through once before anything is written: a file that
//!   cannot be read to its end changes nothing.
//! - Then it is written in batches of [`BATCH`] rows, each batch in one
//!   transaction with the import's progress (`imports.rows_done`), so an
//!   import stopped part way resumes at the first row not written.
//! - The same file (by SHA-256) from the same source is imported once; rows
//!   another file gave already are facts already, and change nothing.
//! - A dry run writes everything in one transaction and rolls it back: its
//!   counts are exactly what the import would do.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Field, Given, Recorded, Source, SourceKind, store};
use crate::{
    db::{Db, StoreError, Tx},
    on_tx,
};

/// Rows written per transaction.
pub const BATCH: u64 = 1000;
/// Rejected rows a report lists (all are kept in `import_rejects`).
pub const LISTED_REJECTS: usize = 100;

/// A place name in a row the matcher was not sure of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unsure {
    /// [`Field::HomeState`] or [`Field::HomeDistrict`].
    pub field: Field,
    pub spelling: String,
    /// The state it was matched in, when known.
    pub state: Option<i64>,
    /// LGD codes with the matcher's confidence, most likely first.
    pub candidates: Vec<(i64, f64)>,
}

/// One data row of a list: the values it gives, or why it was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Entry { row: u64, given: Given, unsure: Vec<Unsure> },
    Rejected { row: u64, reason: String },
}

/// What went wrong with an import as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read (nothing was written).
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which list is imported, from where, by whom.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The source's name ("bihar-labour-2020"): facts name it.
    pub source: String,
    pub unit_id: Option<i64>,
    pub file_name: String,
    pub file_sha256: String,
    pub by: String,
    /// The source collected the list with the workers' consent.
    pub consent: bool,
    /// The column mapping as JSON, saved with the source.
    pub mapping: String,
    pub dry_run: bool,
    pub at: DateTime<Utc>,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub rows: u64,
    pub new_people: u64,
    pub matched: u64,
    pub conflicting: u64,
    pub rejected: u64,
    pub to_review: u64,
    /// The first [`LISTED_REJECTS`] rejected rows: (row, reason).
    pub rejects: Vec<(u64, String)>,
    /// This file from this source was imported before: nothing changed.
    pub already_imported: bool,
    /// Rows an earlier, interrupted run had written.
    pub resumed_after: u64,
    pub dry_run: bool,
}

impl Report {
    fn count(&mut self, line: &Line, recorded: Option<Recorded>, reviews: u64) {
        self.rows += 1;
        self.to_review += reviews;
        match (line, recorded) {
            (Line::Rejected { row, reason }, _) => {
                self.rejected += 1;
                if self.rejects.len() < LISTED_REJECTS {
                    self.rejects.push((*row, reason.clone()));
                }
            }
            (_, Some(Recorded::New { .. })) => self.new_people += 1,
            (_, Some(Recorded::Matched { conflicts, .. })) if conflicts > 0 => self.conflicting += 1,
            _ => self.matched += 1,
        }
    }
}

impl super::PeopleStore {
    /// The column mapping (JSON) saved for source `name`, if it has one.
    pub async fn source_mapping(&self, name: &str) -> Result<Option<String>, StoreError> {
        const SQL: &str = "SELECT mapping FROM import_sources WHERE name = $1";
        Ok(crate::on_db!(self.db(), pool => sqlx::query_scalar(SQL).bind(name).fetch_optional(pool).await?))
    }
}

/// Imports the list `open` reads (called twice: once to check the whole
/// file, once to write it) by `plan`; see the module docs.
pub async fn import<I, F>(db: &Db, plan: &Plan, open: F) -> Result<Report, ImportError>
where
    F: Fn() -> Result<I, ImportError>,
    I: Iterator<Item = Result<Line, ImportError>>,
{
    for line in open()? {
        line?;
    }
    let mut tx = db.begin().await?;
    save_source(&mut tx, plan).await?;
    let (import_id, done, finished) = start(&mut tx, plan).await?;
    if let Some(earlier) = finished {
        return Ok(Report { already_imported: true, dry_run: plan.dry_run, ..earlier });
    }
    let mut report = Report { resumed_after: done, dry_run: plan.dry_run, ..Report::default() };
    let source = Source {
        kind: SourceKind::Import,
        name: plan.source.clone(),
        unit_id: plan.unit_id,
        by: Some(plan.by.clone()),
        at: plan.at,
    };
    let (mut in_batch, mut committed) = (0, Report::default());
    for line in open()?.skip(usize::try_from(done).unwrap_or(usize::MAX)) {
        let line = line?;
        let (recorded, reviews) = write_line(&mut tx, import_id, &line, &source, plan.consent).await?;
        report.count(&line, recorded, reviews);
        in_batch += 1;
        if in_batch == BATCH && !plan.dry_run {
            progress(&mut tx, import_id, done, &report, &committed, None).await?;
            tx.commit().await?;
            committed = report.clone();
            tx = db.begin().await?;
            in_batch = 0;
        }
    }
    progress(&mut tx, import_id, done, &report, &committed, Some(plan.at)).await?;
    if plan.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

async fn write_line(
    tx: &mut Tx<'_>,
    import_id: i64,
    line: &Line,
    source: &Source,
    consent: bool,
) -> Result<(Option<Recorded>, u64), StoreError> {
    let (given, unsure) = match line {
        Line::Entry { given, unsure, .. } => (given, unsure),
        Line::Rejected { row, reason } => {
            const SQL: &str = "INSERT INTO import_rejects (import_id, row_number, reason) VALUES ($1, $2, $3)
                               ON CONFLICT (import_id, row_number) DO NOTHING";
            let row = i64::try_from(*row).unwrap_or(i64::MAX);
            on_tx!(tx, conn => sqlx::query(SQL).bind(import_id).bind(row).bind(reason)
                .execute(&mut **conn).await.map(drop)?);
            return Ok((None, 0));
        }
    };
    let mut given = given.clone();
    if consent && given.get(Field::Consent).is_none() {
        given.set(Field::Consent, "yes");
    }
    // A district a coordinator picked for the spelling before is not asked again.
    let mut unsure = unsure.clone();
    let mut still = Vec::with_capacity(unsure.len());
    for u in unsure.drain(..) {
        let picked = match u.field {
            Field::HomeDistrict => crate::places::picked_in(tx, &u.spelling, u.state).await?,
            _ => None,
        };
        match picked.and_then(|d| crate::directory::Directory::bundled().district(d)) {
            Some(district) if u.state.is_none_or(|s| s == i64::from(district.state.get())) => {
                given.set(Field::HomeDistrict, &district.code.to_string());
                if given.get(Field::HomeState).is_none() {
                    given.set(Field::HomeState, &district.state.to_string());
                }
                still.retain(|s: &Unsure| s.field != Field::HomeState);
            }
            _ => still.push(u),
        }
    }
    let unsure = &still;
    let recorded = store::record(tx, &given, source).await?;
    let mut reviews = 0;
    for unsure in unsure {
        reviews += review(tx, recorded.id(), unsure, source).await?;
    }
    Ok((Some(recorded), reviews))
}

/// Puts a place name on the review list (once per person, field and
/// spelling): 1 when it was not there.
async fn review(tx: &mut Tx<'_>, person: i64, unsure: &Unsure, source: &Source) -> Result<u64, StoreError> {
    const SQL: &str = "INSERT INTO place_reviews (person_id, field, spelling, state_code, candidates, source, unit_id,
            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (person_id, field, spelling) DO NOTHING";
    let candidates = serde_json::to_string(&unsure.candidates).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(on_tx!(tx, conn => sqlx::query(SQL)
        .bind(person)
        .bind(unsure.field.column())
        .bind(&unsure.spelling)
        .bind(unsure.state)
        .bind(candidates)
        .bind(&source.name)
        .bind(source.unit_id)
        .bind(source.at)
        .execute(&mut **conn)
        .await?
        .rows_affected()))
}

async fn save_source(tx: &mut Tx<'_>, plan: &Plan) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO import_sources (name, mapping, consent, unit_id, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $5)
        ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping, consent = excluded.consent,
            unit_id = COALESCE(excluded.unit_id, import_sources.unit_id), updated_at = excluded.updated_at";
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(&plan.source)
        .bind(&plan.mapping)
        .bind(plan.consent)
        .bind(plan.unit_id)
        .bind(plan.at)
        .execute(&mut **conn)
        .await
        .map(drop)?);
    Ok(())
}

/// The import's row (made on the first run): its id, the rows written
/// before, and what it did if it finished.
async fn start(tx: &mut Tx<'_>, plan: &Plan) -> Result<(i64, u64, Option<Report>), StoreError> {
    const FIND: &str = "SELECT id, rows_done, finished_at IS NOT NULL, new_people, matched, conflicting, rejected,
            to_review FROM imports WHERE source = $1 AND file_sha256 = $2";
    const MAKE: &str = "INSERT INTO imports (source, unit_id, file_name, file_sha256, imported_by, started_at)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    type Found = (i64, i64, bool, i64, i64, i64, i64, i64);
    let found: Option<Found> = on_tx!(tx, conn => sqlx::query_as(FIND)
        .bind(&plan.source).bind(&plan.file_sha256).fetch_optional(&mut **conn).await?);
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    if let Some((id, done, finished, new_people, matched, conflicting, rejected, to_review)) = found {
        let report = Report {
            rows: n(done),
            new_people: n(new_people),
            matched: n(matched),
            conflicting: n(conflicting),
            rejected: n(rejected),
            to_review: n(to_review),
            ..Report::default()
        };
        return Ok((id, n(done), finished.then_some(report)));
    }
    let id = on_tx!(tx, conn => sqlx::query_scalar(MAKE)
        .bind(&plan.source)
        .bind(plan.unit_id)
        .bind(&plan.file_name)
        .bind(&plan.file_sha256)
        .bind(&plan.by)
        .bind(plan.at)
        .fetch_one(&mut **conn)
        .await?);
    Ok((id, 0, None))
}

/// Writes the import's progress: rows written (`before` by earlier runs,
/// then this run's `report`), adding what it did since `committed`.
async fn progress(
    tx: &mut Tx<'_>,
    id: i64,
    before: u64,
    report: &Report,
    committed: &Report,
    finished: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE imports SET rows_done = $1, finished_at = $2, new_people = new_people + $3,
        matched = matched + $4, conflicting = conflicting + $5, rejected = rejected + $6, to_review = to_review + $7
        WHERE id = $8";
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    on_tx!(tx, conn => sqlx::query(SQL)
        .bind(n(before + report.rows))
        .bind(finished)
        .bind(n(report.new_people - committed.new_people))
        .bind(n(report.matched - committed.matched))
        .bind(n(report.conflicting - committed.conflicting))
        .bind(n(report.rejected - committed.rejected))
        .bind(n(report.to_review - committed.to_review))
        .bind(id)
        .execute(&mut **conn)
        .await
        .map(drop)?);
    Ok(())
}
