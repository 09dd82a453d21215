//! Which column of a list holds what: detected from the headers as state
//! governments' lists write them (English and Hindi, numbered, abbreviated),
//! shown to a coordinator for confirmation, overridable, and saved per
//! source as JSON.

use std::{fmt::Write as _, str::FromStr};

use serde::{Deserialize, Serialize};

use super::words::fold;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Phone,
    Name,
    HomeState,
    HomeDistrict,
    Village,
    Ward,
    PostOffice,
    Pin,
    /// Where the worker is now (stranded), as the list writes it.
    CurrentLocation,
    Language,
    Need,
    Consent,
    /// Nothing Sampark keeps (a serial number, a father's name, Aadhaar).
    Ignore,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Self::Phone,
        Self::Name,
        Self::HomeState,
        Self::HomeDistrict,
        Self::Village,
        Self::Ward,
        Self::PostOffice,
        Self::Pin,
        Self::CurrentLocation,
        Self::Language,
        Self::Need,
        Self::Consent,
        Self::Ignore,
    ];

    /// The name used in JSON and in overrides (`home_district`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Name => "name",
            Self::HomeState => "home_state",
            Self::HomeDistrict => "home_district",
            Self::Village => "village",
            Self::Ward => "ward",
            Self::PostOffice => "post_office",
            Self::Pin => "pin",
            Self::CurrentLocation => "current_location",
            Self::Language => "language",
            Self::Need => "need",
            Self::Consent => "consent",
            Self::Ignore => "ignore",
        }
    }
}

/// Reads a field by its name; `state` and `district` are the home ones.
impl FromStr for Field {
    type Err = MappingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_lowercase().replace([' ', '-'], "_");
        let name = match name.as_str() {
            "state" => "home_state",
            "district" => "home_district",
            other => other,
        };
        Self::ALL.into_iter().find(|f| f.as_str() == name).ok_or_else(|| MappingError::UnknownField(s.trim().into()))
    }
}

/// One column of the list: its header as the file has it, and its field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub header: String,
    pub field: Field,
}

/// A list's columns in order (column 1 first), each field in at most one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    columns: Vec<Column>,
}

/// A mapping that cannot be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "`{0}` is not a field (phone, name, home_state, home_district, village, ward, post_office, pin, \
         current_location, language, need, consent, ignore)"
    )]
    UnknownField(String),
    #[error("the list has no column `{wanted}` (its columns: {columns})")]
    UnknownColumn { wanted: String, columns: String },
    #[error("`{0}` is not `column=field` (e.g. `Mobile No=phone` or `3=phone`)")]
    Malformed(String),
    #[error("no column holds a phone number or a name, so no row can be a person; map one (e.g. `Mobile No=phone`)")]
    NoPhoneOrName,
}

impl Mapping {
    /// Each column's field guessed from its header; a field a column
    /// before already has leaves this one [`Field::Ignore`].
    pub fn detect(headers: &[String]) -> Mapping {
        Self::assign(headers, |_, header| detect_field(header))
    }

    /// A saved mapping (of an earlier file from the same source) used for
    /// `headers`: a column whose header it knows (spelt the same after
    /// folding) takes the saved field; the others are detected.
    pub fn applied_to(&self, headers: &[String]) -> Mapping {
        Self::assign(headers, |_, header| {
            let folded = fold(header);
            let saved = self.columns.iter().find(|c| !folded.is_empty() && fold(&c.header) == folded);
            saved.map_or_else(|| detect_field(header), |c| c.field)
        })
    }

    fn assign(headers: &[String], field: impl Fn(usize, &str) -> Field) -> Mapping {
        let mut columns: Vec<Column> = Vec::with_capacity(headers.len());
        for (i, header) in headers.iter().enumerate() {
            let mut field = field(i, header);
            if columns.iter().any(|c| c.field == field) {
                field = Field::Ignore;
            }
            columns.push(Column { header: header.clone(), field });
        }
        Mapping { columns }
    }

    /// This mapping with a coordinator's corrections:
    /// `Mobile No=phone,Gaon=village,7=ignore`, a column named by its header
    /// (case and punctuation aside) or its number from 1. A field given to
    /// a column is taken from the column that had it.
    pub fn with_overrides(&self, spec: &str) -> Result<Mapping, MappingError> {
        let mut mapping = self.clone();
        for (column, field) in override_pairs(spec)? {
            let index = self.find_column(&column)?;
            let field: Field = field.parse()?;
            if field != Field::Ignore {
                for other in mapping.columns.iter_mut().filter(|c| c.field == field) {
                    other.field = Field::Ignore;
                }
            }
            mapping.columns[index].field = field;
        }
        Ok(mapping)
    }

    fn find_column(&self, wanted: &str) -> Result<usize, MappingError> {
        let exact = self.columns.iter().position(|c| c.header.trim() == wanted);
        let folded = fold(wanted);
        let alike = || self.columns.iter().position(|c| !folded.is_empty() && fold(&c.header) == folded);
        let numbered = || {
            let n: usize = wanted.parse().ok()?;
            (1..=self.columns.len()).contains(&n).then(|| n - 1)
        };
        exact.or_else(alike).or_else(numbered).ok_or_else(|| MappingError::UnknownColumn {
            wanted: wanted.to_owned(),
            columns: self.columns.iter().map(|c| format!("'{}'", c.header)).collect::<Vec<_>>().join(", "),
        })
    }

    /// Refuses a mapping by which no row could be a person: one with
    /// neither a phone nor a name column.
    pub fn check(&self) -> Result<(), MappingError> {
        let has = |f| self.index_of(f).is_some();
        if has(Field::Phone) || has(Field::Name) { Ok(()) } else { Err(MappingError::NoPhoneOrName) }
    }

    /// The mapping in words, for a coordinator to confirm: one line per
    /// mapped column (`column 2 'मोबाइल' → phone`), then the ignored ones.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (i, column) in self.columns.iter().enumerate().filter(|(_, c)| c.field != Field::Ignore) {
            let _ = writeln!(text, "column {} '{}' → {}", i + 1, column.header, column.field.as_str());
        }
        let ignored: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.field == Field::Ignore && !c.header.trim().is_empty())
            .map(|(i, c)| {
                let taken = Some(detect_field(&c.header)).filter(|f| *f != Field::Ignore);
                match taken.and_then(|f| self.index_of(f).map(|at| (f, at))) {
                    Some((f, at)) => format!("{} '{}' ({} is column {})", i + 1, c.header, f.as_str(), at + 1),
                    None => format!("{} '{}'", i + 1, c.header),
                }
            })
            .collect();
        if ignored.is_empty() {
            text.push_str("ignored: none");
        } else {
            let _ = write!(text, "ignored: {}", ignored.join(", "));
        }
        text
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column (from 0) holding `field`.
    pub fn index_of(&self, field: Field) -> Option<usize> {
        (field != Field::Ignore).then(|| self.columns.iter().position(|c| c.field == field)).flatten()
    }

    /// The headers of the columns nothing is read from.
    pub fn ignored(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().filter(|c| c.field == Field::Ignore).map(|c| c.header.as_str())
    }

    /// The cell of `record` holding `field`, trimmed; empty when the row
    /// is short or no column holds it.
    pub(super) fn cell<'r>(&self, field: Field, record: &'r [String]) -> &'r str {
        self.index_of(field).and_then(|i| record.get(i)).map_or("", |s| s.trim())
    }
}

/// `a=b,c=d` into pairs; a header may itself hold a comma (`Village, Post=village`).
fn override_pairs(spec: &str) -> Result<Vec<(String, String)>, MappingError> {
    let mut pairs = Vec::new();
    let mut pending = String::new();
    for part in spec.split(',') {
        if !pending.is_empty() {
            pending.push(',');
        }
        pending.push_str(part);
        if let Some((column, field)) = pending.rsplit_once('=') {
            let column = column.trim();
            if column.is_empty() {
                return Err(MappingError::Malformed(pending.trim().to_owned()));
            }
            pairs.push((column.to_owned(), field.trim().to_owned()));
            pending.clear();
        }
    }
    if !pending.trim().is_empty() {
        return Err(MappingError::Malformed(pending.trim().to_owned()));
    }
    Ok(pairs)
}

/// Words by which a header names a field, `|` between them, the first
/// rule that matches winning (a father's name is not the worker's; a
/// district's name is a district). A word with a space is a phrase; one
/// starting with `~` may be part of a longer word (`WorkerName`); the
/// others are whole words (`age` is not in `village`). A header no rule
/// matches (Aadhaar, block, address) is ignored.
const RULES: [(Field, &str); 13] = [
    (
        Field::Ignore,
        "~father|~husband|guardian|spouse|mother|पिता|पति|माता|अभिभावक|বাবার|পিতার|পিতা|স্বামীর|ପିତାଙ୍କ|ପିତା|ବାପାଙ୍କ|\
         employer|contractor|ठेकेदार|नियोक्ता|alternate|alternative|alt|other|दूसरा|वैकल्पिक|bank|branch|बैंक|शाखा|\
         ifsc|date|dob|तिथि|दिनांक|serial|sl|sr|sno|slno|srno|क्रम|क्र",
    ),
    (Field::CurrentLocation, "current|present|stranded|stuck|~location|workplace|work place|वर्तमान|फंसे|फंसा|कार्यस्थल"),
    (Field::Pin, "pin|~pincode|zip|postal code|post code|पिन|पिनकोड|পিন|ପିନ"),
    (Field::PostOffice, "post office|~postoffice|po|p o|post|डाकघर|डाक घर|डाक|पोस्ट|পোস্ট|ଡାକଘର"),
    (Field::HomeDistrict, "~district|dist|distt|zila|zilla|jila|janpad|जिला|जिले|जनपद|জেলা|ଜିଲ୍ଲା"),
    (Field::HomeState, "~state|rajya|राज्य|রাজ্য|ରାଜ୍ୟ"),
    (Field::Village, "~village|gaon|gaun|gram|town|गांव|ग्राम|मोहल्ला|গ্রাম|ଗ୍ରାମ|ଗାଁ"),
    (Field::Ward, "ward|वार्ड|ওয়ার্ড|ୱାର୍ଡ"),
    (Field::Phone, "~mobile|mob|~phone|cell|~whatsapp|tel|contact|फोन|मोबाइल|मो|दूरभाष|संपर्क|মোবাইল|ফোন|ମୋବାଇଲ|ଫୋନ"),
    (Field::Language, "~language|mother tongue|bhasha|भाषा|मातृभाषा|ভাষা|ଭାଷା"),
    (Field::Need, "~need|~requirement|required|help|assistance|support|जरूरत|आवश्यकता|मदद|सहायता|मांग"),
    (Field::Consent, "~consent|agree|agreed|सहमति|সম্মতি|ସମ୍ମତି"),
    (Field::Name, "~name|naam|नाम|নাম|ନାମ"),
];

/// Words that make "contact" an address or a person, not a number.
const NOT_A_NUMBER: [&str; 4] = ["address", "पता", "person", "व्यक्ति"];

/// The field a header names, [`Field::Ignore`] when it names none.
fn detect_field(header: &str) -> Field {
    let folded = fold(&without_abbreviation_marks(header));
    // A numbered header ("1. Name", "(3) District") is the header after its number.
    let words: Vec<&str> = folded.split(' ').skip_while(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
    if words.iter().all(|w| w.is_empty()) {
        return Field::Ignore;
    }
    let spaced = format!(" {} ", words.join(" "));
    let compact = words.concat();
    // Keywords are folded as headers are (ଗାଁ and ଗାଂ are one word).
    let says = |keyword: &str| match keyword.strip_prefix('~') {
        Some(part) => words.iter().any(|w| w.contains(&fold(part))),
        None if keyword.contains(' ') => spaced.contains(&format!(" {} ", fold(keyword))),
        None => {
            let word = fold(keyword);
            words.contains(&word.as_str()) || compact == word
        }
    };
    for (field, keywords) in RULES {
        if !keywords.split('|').any(|k| says(k.trim())) {
            continue;
        }
        if field == Field::Phone && !["~mobile", "~phone", "mob", "फोन", "मोबाइल"].iter().any(|k| says(k))
        {
            // Only "contact": a contact address or person is not a number.
            if NOT_A_NUMBER.iter().any(|k| says(k)) {
                continue;
            }
        }
        return field;
    }
    Field::Ignore
}

/// A header with Hindi's abbreviation mark, a zero after a letter
/// ("मो0 नं0", "मो० नं०"), read as if it had a full stop.
fn without_abbreviation_marks(header: &str) -> String {
    let mut previous = ' ';
    let mut out = String::with_capacity(header.len());
    for c in header.chars() {
        let mark = matches!(c, '0' | '०') && matches!(previous, '\u{0900}'..='\u{0965}' | '\u{0970}'..='\u{097F}');
        out.push(if mark { '.' } else { c });
        previous = c;
    }
    out
}

#[cfg(test)]
#[path = "columns_tests.rs"]
mod tests;
