//! A list file as the people import reads it: each row through the
//! column mapping into the values it gives a person ([`Line`]), with the
//! place names the matcher was not sure of (or did not know) left for the
//! review list instead of guessed.

use std::path::{Path, PathBuf};

use super::{Checked, ListReader, ListRow, Mapping, Placed, RowParser};
use crate::{
    directory::Directory,
    people::{
        Field, Given,
        import::{ImportError, Line, Unsure},
    },
};

/// A list file to read, with its mapping and sheet.
#[derive(Debug, Clone)]
pub struct ListFile {
    pub path: PathBuf,
    pub sheet: Option<String>,
    pub mapping: Mapping,
}

impl ListFile {
    /// Opens `path` and reads its header: the reader, ready for rows.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<ListReader, ImportError> {
        ListReader::open(path, sheet).map_err(|e| ImportError::Unreadable(format!("{}: {e}", path.display())))
    }

    /// The file's rows as lines, from its first data row.
    pub fn lines(
        &self,
        directory: &'static Directory,
    ) -> Result<impl Iterator<Item = Result<Line, ImportError>> + use<>, ImportError> {
        let reader = Self::open(&self.path, self.sheet.as_deref())?;
        let mut parser = RowParser::new(self.mapping.clone(), directory);
        let path = self.path.display().to_string();
        Ok(reader.map(move |record| {
            let record = record.map_err(|e| ImportError::Unreadable(format!("{path}: {e}")))?;
            Ok(match parser.parse(&record) {
                Ok(row) => line_of(row),
                Err(rejected) => Line::Rejected { row: rejected.row, reason: rejected.reason.to_string() },
            })
        }))
    }
}

/// What a parsed row gives a person.
pub fn line_of(row: ListRow) -> Line {
    let mut given = Given { phone: row.phone, values: Vec::new() };
    if let Some(other) = &row.other_phone {
        given.set(Field::OtherPhone, other.as_e164());
    }
    let mut unsure = Vec::new();
    for (field, value) in [
        (Field::Name, &row.name),
        (Field::Village, &row.village),
        (Field::Ward, &row.ward),
        (Field::PostOffice, &row.post_office),
        (Field::CurrentLocation, &row.current_location),
    ] {
        if let Some(value) = value {
            given.set(field, value);
        }
    }
    if let Checked::Known(pin) = &row.pin {
        given.set(Field::Pin, pin);
    }
    match &row.language {
        Checked::Known(language) => given.set(Field::Language, language.as_str()),
        Checked::Unknown { .. } | Checked::Blank => {}
    }
    match &row.need {
        Checked::Known(need) => given.set(Field::Need, need.as_str()),
        Checked::Unknown { text } => given.set(Field::Need, text),
        Checked::Blank => {}
    }
    if let Some(consent) = row.consent {
        given.set(Field::Consent, if consent { "yes" } else { "no" });
    }
    let state = row.home_state.code();
    let district = row.home_district.code();
    let state = state.or_else(|| district.and_then(|d| Directory::bundled().district(d)).map(|d| d.state));
    if let Some(state) = state {
        given.set(Field::HomeState, &state.to_string());
    }
    if let Some(district) = district {
        given.set(Field::HomeDistrict, &district.to_string());
    }
    match &row.home_state {
        Placed::Uncertain { text, candidates } => unsure.push(Unsure {
            field: Field::HomeState,
            spelling: text.clone(),
            state: None,
            candidates: candidates.iter().map(|(c, p)| (i64::from(c.get()), f64::from(*p))).collect(),
        }),
        Placed::Unknown { text } if state.is_none() => {
            unsure.push(Unsure {
                field: Field::HomeState,
                spelling: text.clone(),
                state: None,
                candidates: Vec::new(),
            });
        }
        _ => {}
    }
    match &row.home_district {
        Placed::Uncertain { text, candidates } => unsure.push(Unsure {
            field: Field::HomeDistrict,
            spelling: text.clone(),
            state: state.map(|s| i64::from(s.get())),
            candidates: candidates.iter().map(|(c, p)| (i64::from(c.get()), f64::from(*p))).collect(),
        }),
        Placed::Unknown { text } => unsure.push(Unsure {
            field: Field::HomeDistrict,
            spelling: text.clone(),
            state: state.map(|s| i64::from(s.get())),
            candidates: Vec::new(),
        }),
        _ => {}
    }
    Line::Entry { row: row.row, given, unsure }
}
