//! `sampark people export`: one row per person, as JSON lines or as a CSV
//! the state governments' nodal officers can open in a spreadsheet — LGD
//! codes with their names, and every cell that a spreadsheet would take
//! for a formula (starting `=`, `+`, `-`, `@`, a tab or a carriage return)
//! escaped with a leading `'`, so a name on a list cannot run as a formula.

use std::io::Write;

use futures::TryStreamExt;
use serde::Serialize;

use super::{PeopleStore, Person};
use crate::{
    cases::ExportFormat,
    db::StoreError,
    directory::Directory,
    domain::{DistrictCode, StateCode},
    on_db,
};

/// The CSV's columns.
pub const COLUMNS: [&str; 18] = [
    "id",
    "phone",
    "name",
    "language",
    "home_state_code",
    "home_state",
    "home_district_code",
    "home_district",
    "village",
    "ward",
    "post_office",
    "pin_code",
    "other_phone",
    "current_location",
    "need",
    "consent",
    "sources",
    "open_conflicts",
];

/// One person as exported: their values, and where they came from.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Exported {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub person: Person,
    /// `kind:name` of every source that gave a value (`import:bihar-2020`).
    #[sqlx(skip)]
    pub sources: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    person: Exported,
    source_kind: Option<String>,
    source: Option<String>,
}

/// A cell a spreadsheet will show as text, never run as a formula.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

impl PeopleStore {
    /// Writes every person to `out` (streaming: one pass over people joined
    /// with their sources, in id order). Returns how many people.
    pub async fn export<W: Write>(&self, directory: &Directory, format: ExportFormat, out: W) -> anyhow::Result<u64> {
        const SQL: &str = "SELECT p.*, f.source_kind, f.source
            FROM people p
            LEFT JOIN (SELECT DISTINCT person_id, source_kind, source FROM person_facts) f ON f.person_id = p.id
            ORDER BY p.id, f.source_kind, f.source";
        let mut writer = Writer::new(format, out, directory)?;
        let mut current: Option<Exported> = None;
        on_db!(self.db(), pool => {
            let mut rows = sqlx::query_as::<_, Row>(SQL).fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                if current.as_ref().is_some_and(|p| p.person.id != row.person.person.id) {
                    writer.write(&current.take().expect("checked"))?;
                }
                let person = current.get_or_insert(row.person);
                if let (Some(kind), Some(source)) = (row.source_kind, row.source) {
                    person.sources.push(format!("{kind}:{source}"));
                }
            }
        });
        if let Some(person) = current {
            writer.write(&person)?;
        }
        writer.finish()
    }
}

struct Writer<'d, W: Write> {
    directory: &'d Directory,
    count: u64,
    out: Out<W>,
}

enum Out<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

impl<'d, W: Write> Writer<'d, W> {
    fn new(format: ExportFormat, out: W, directory: &'d Directory) -> anyhow::Result<Self> {
        let out = match format {
            ExportFormat::Jsonl => Out::Jsonl(out),
            ExportFormat::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(COLUMNS)?;
                Out::Csv(Box::new(csv))
            }
        };
        Ok(Self { directory, count: 0, out })
    }

    fn write(&mut self, exported: &Exported) -> anyhow::Result<()> {
        let person = &exported.person;
        self.count += 1;
        match &mut self.out {
            Out::Jsonl(out) => {
                serde_json::to_writer(&mut *out, exported)?;
                out.write_all(b"\n")?;
            }
            Out::Csv(csv) => {
                let state =
                    person.home_state_code.and_then(|c| u8::try_from(c).ok()).and_then(|c| StateCode::new(c).ok());
                let district = person
                    .home_district_code
                    .and_then(|c| u16::try_from(c).ok())
                    .and_then(|c| DistrictCode::new(c).ok());
                let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                let code = |v: Option<i64>| v.map(|c| c.to_string()).unwrap_or_default();
                let cells = [
                    person.id.to_string(),
                    opt(&person.phone),
                    opt(&person.name),
                    opt(&person.language),
                    code(person.home_state_code),
                    state.and_then(|s| self.directory.state(s)).map(|s| s.name.clone()).unwrap_or_default(),
                    code(person.home_district_code),
                    district.and_then(|d| self.directory.district(d)).map(|d| d.name.clone()).unwrap_or_default(),
                    opt(&person.village),
                    opt(&person.ward),
                    opt(&person.post_office),
                    opt(&person.pin_code),
                    opt(&person.other_phone),
                    opt(&person.current_location),
                    opt(&person.need),
                    person.consent.map(|c| if c { "yes" } else { "no" }.to_owned()).unwrap_or_default(),
                    exported.sources.join("; "),
                    person.open_conflicts.to_string(),
                ];
                csv.write_record(cells.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<u64> {
        match self.out {
            Out::Jsonl(mut out) => out.flush()?,
            Out::Csv(mut csv) => csv.flush()?,
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn cells_a_spreadsheet_would_run_are_escaped_and_others_left_alone() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+916000000101"), "'+916000000101");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("\tx"), "'\tx");
        assert_eq!(spreadsheet_safe("Ram Kumar"), "Ram Kumar");
        assert_eq!(spreadsheet_safe("राम"), "राम");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
