//! The coordinator's import page: upload a list, see the columns Sampark
//! found (correct them: "Mobile No=phone"), the counts of a dry run over
//! its first rows, then import it. The import runs in the background (a
//! large list takes minutes), checking the whole file before it writes;
//! one the server stopped part way resumes where it stopped when it is
//! confirmed again (the uploaded file waits until done); `/people/imports` shows each
//! import's progress and counts. The same rules as `sampark import`; the list
//! is the unit's when the coordinator is a member of one unit.

use std::path::PathBuf;

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    response::Redirect,
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{csrf_field, page, when};
use crate::{
    directory::Directory,
    http::{
        AppState,
        access::{Coordinator, CsrfForm, CsrfUpload},
        error::AppError,
        session::SignedIn,
    },
    import::{ListFile, Mapping},
    people::import::{Plan, Report, import},
};

/// The largest list the page takes (bigger ones: `sampark import`).
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
/// Rows the preview's dry run reads.
pub const PREVIEW_ROWS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/import", get(form_page))
        .route("/people/import/confirm", post(confirm))
        .route("/people/imports", get(imports_page))
}

/// The upload itself, with its own body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/people/import", post(preview))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(UPLOAD_LIMIT))
}

async fn form_page(Coordinator(who): Coordinator) -> Markup {
    page("Import a list", Some(&who), upload_form(&who, None))
}

fn upload_form(who: &SignedIn, problem: Option<&str>) -> Markup {
    html! {
        h1 { "सूची जोड़ें · Import a list" }
        @if let Some(problem) = problem { p.card { strong { (problem) } } }
        form method="post" action="/people/import" enctype="multipart/form-data" {
            (csrf_field(who))
            p { label { "List (XLSX, XLS, CSV): " input type="file" name="file" required; } }
            p { label { "Source: " input name="source" required placeholder="bihar-labour-2020"; } }
            p { label { input type="checkbox" name="consent" value="1"; " Collected with the workers' consent" } }
            p { label { "Correct columns (optional): " input name="map" placeholder="Mobile No=phone, Gaon=village"; } }
            p { label { "Sheet (optional): " input name="sheet"; } }
            button type="submit" { "देखें · Preview" }
        }
        p { a href="/people/imports" { "Imports so far" } }
    }
}

/// What the confirm form carries back (the file waits by its hash).
#[derive(Debug, Deserialize)]
struct Upload {
    sha256: String,
    file_name: String,
    source: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    map: String,
    #[serde(default)]
    sheet: String,
}

impl Upload {
    fn path(&self, app: &AppState) -> Result<PathBuf, AppError> {
        if self.sha256.len() != 64 || !self.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::bad_request("no such upload"));
        }
        Ok(app.imports_dir.join(format!("{}.list", self.sha256)))
    }

    /// The list, with its columns as saved for the source and corrected.
    async fn list(&self, app: &AppState) -> Result<ListFile, String> {
        let path = self.path(app).map_err(|_| "no such upload".to_owned())?;
        let sheet = Some(self.sheet.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        let reader = ListFile::open(&path, sheet.as_deref()).map_err(|e| e.to_string())?;
        let saved = app.people.source_mapping(self.source.trim()).await.map_err(|e| e.to_string())?;
        let mut mapping = match saved.as_deref().map(serde_json::from_str::<Mapping>) {
            Some(Ok(saved)) => saved.applied_to(reader.headers()),
            _ => Mapping::detect(reader.headers()),
        };
        if !self.map.trim().is_empty() {
            mapping = mapping.with_overrides(&self.map).map_err(|e| e.to_string())?;
        }
        mapping.check().map_err(|e| e.to_string())?;
        Ok(ListFile { path, sheet, mapping })
    }

    /// The import's plan; its unit is the coordinator's, when they are a
    /// member of one unit (of several, or none: no unit).
    async fn plan(&self, app: &AppState, who: &SignedIn, list: &ListFile, dry_run: bool) -> Result<Plan, AppError> {
        let units = app.units.units_of(who.user.id).await?;
        let unit_id = match units.as_slice() {
            [unit] => Some(unit.id),
            _ => None,
        };
        Ok(Plan {
            source: self.source.trim().to_owned(),
            unit_id,
            file_name: self.file_name.clone(),
            file_sha256: self.sha256.clone(),
            by: who.user.username.clone(),
            consent: !self.consent.is_empty(),
            mapping: serde_json::to_string(&list.mapping).unwrap_or_default(),
            dry_run,
            at: app.desk.now(),
        })
    }
}

async fn preview(
    State(app): State<AppState>,
    CsrfUpload { user: Coordinator(who), file, fields }: CsrfUpload<Coordinator>,
) -> Result<Markup, AppError> {
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let Some(bytes) = file else {
        return Ok(page("Import a list", Some(&who), upload_form(&who, Some("Choose a file."))));
    };
    if field("source").trim().is_empty() {
        return Ok(page("Import a list", Some(&who), upload_form(&who, Some("Name the list's source."))));
    }
    let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let upload = Upload {
        sha256,
        file_name: field("file_name"),
        source: field("source"),
        consent: field("consent"),
        map: field("map"),
        sheet: field("sheet"),
    };
    tokio::fs::create_dir_all(&app.imports_dir).await.map_err(|e| AppError::Internal(e.into()))?;
    tokio::fs::write(upload.path(&app)?, &bytes).await.map_err(|e| AppError::Internal(e.into()))?;
    let list = match upload.list(&app).await {
        Ok(list) => list,
        Err(problem) => return Ok(page("Import a list", Some(&who), upload_form(&who, Some(&problem)))),
    };
    let plan = upload.plan(&app, &who, &list, true).await?;
    let db = app.people.db().clone();
    let first = list.clone();
    let report = tokio::task::spawn_blocking(move || {
        tokio::runtime::Handle::current()
            .block_on(import(&db, &plan, || Ok(first.lines(Directory::bundled())?.take(PREVIEW_ROWS))))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let report = match report {
        Ok(report) => report,
        Err(problem) => return Ok(page("Import a list", Some(&who), upload_form(&who, Some(&problem.to_string())))),
    };
    let body = html! {
        h1 { "देखें · Preview: " (upload.source) }
        h2 { "Columns" }
        pre { (list.mapping.describe()) }
        h2 { "A dry run of the first " (PREVIEW_ROWS) " rows" }
        (counts(&report))
        form method="post" action="/people/import/confirm" {
            (csrf_field(&who))
            @for (name, value) in [("sha256", &upload.sha256), ("file_name", &upload.file_name), ("source", &upload.source),
                                   ("consent", &upload.consent), ("map", &upload.map), ("sheet", &upload.sheet)] {
                input type="hidden" name=(name) value=(value);
            }
            button type="submit" { "जोड़ें · Import the whole list" }
        }
        p { a href="/people/import" { "Change the columns or the file" } }
    };
    Ok(page("Preview", Some(&who), body))
}

fn counts(report: &Report) -> Markup {
    html! {
        table {
            tr { th { "Rows" } td { (report.rows) } }
            tr { th { "New people" } td { (report.new_people) } }
            tr { th { "Matched" } td { (report.matched) } }
            tr { th { "Conflicting" } td { (report.conflicting) } }
            tr { th { "Rejected" } td { (report.rejected) } }
            tr { th { "Places to check" } td { (report.to_review) } }
        }
        @if !report.rejects.is_empty() {
            ul { @for (row, reason) in &report.rejects { li { "Row " (row) ": " (reason) } } }
        }
    }
}

async fn confirm(
    State(app): State<AppState>,
    CsrfForm(Coordinator(who), upload): CsrfForm<Coordinator, Upload>,
) -> Result<Redirect, AppError> {
    let list = upload.list(&app).await.map_err(AppError::unprocessable)?;
    let plan = upload.plan(&app, &who, &list, false).await?;
    let running = Running::start(&app, &upload.sha256)
        .ok_or_else(|| AppError::conflict("this list is being imported now: see its progress on /people/imports"))?;
    let details = format!("source {}: {}", plan.source, plan.file_name);
    app.desk.audit(&who.user, "import_list", None, Some(details)).await?;
    let (db, path) = (app.people.db().clone(), list.path.clone());
    tokio::task::spawn_blocking(move || {
        let _running = running;
        let done = tokio::runtime::Handle::current().block_on(import(&db, &plan, || list.lines(Directory::bundled())));
        match done {
            Ok(report) => {
                tracing::info!(rows = report.rows, new = report.new_people, "imported a list");
                let _ = std::fs::remove_file(path);
            }
            Err(e) => tracing::error!(error.message = %e, "a list's import stopped; confirming it again resumes it"),
        }
    });
    Ok(Redirect::to("/people/imports"))
}

/// An upload being imported by this instance, until dropped.
struct Running {
    importing: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    sha256: String,
}

impl Running {
    /// `None` when the upload is being imported already.
    fn start(app: &AppState, sha256: &str) -> Option<Self> {
        let mut importing = app.importing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        importing
            .insert(sha256.to_owned())
            .then(|| Self { importing: app.importing.clone(), sha256: sha256.to_owned() })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.importing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.sha256);
    }
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    source: String,
    file_name: String,
    imported_by: String,
    rows_done: i64,
    new_people: i64,
    matched: i64,
    conflicting: i64,
    rejected: i64,
    to_review: i64,
    started_at: chrono::DateTime<chrono::Utc>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn imports_page(State(app): State<AppState>, Coordinator(who): Coordinator) -> Result<Markup, AppError> {
    const SQL: &str = "SELECT source, file_name, imported_by, rows_done, new_people, matched, conflicting, rejected,
        to_review, started_at, finished_at FROM imports ORDER BY id DESC LIMIT 100";
    let rows: Vec<ImportRow> = crate::on_db!(app.people.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await
        .map_err(crate::db::StoreError::from)?);
    let body = html! {
        h1 { "Imports" }
        p { a href="/people/import" { "Import a list" } " · " a href="/people/review" { "Places to check" } }
        table {
            tr { th { "Source · file" } th { "By" } th { "Rows" } th { "New · matched · conflicting · rejected · to check" } th { "Started · finished" } }
            @for r in &rows {
                tr {
                    td { (r.source) " · " (r.file_name) } td { (r.imported_by) } td { (r.rows_done) }
                    td { (r.new_people) " · " (r.matched) " · " (r.conflicting) " · " (r.rejected) " · " (r.to_review) }
                    td { (when(&r.started_at)) " · " (r.finished_at.as_ref().map_or_else(|| "importing…".to_owned(), when)) }
                }
            }
        }
    };
    Ok(page("Imports", Some(&who), body))
}
