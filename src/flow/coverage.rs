//! Which prompts of the active flows are recorded, spoken from text, or
//! missing, in each of their languages: the prompt library's coverage matrix.
//! It lives with the flows because it reads them; the prompts module knows
//! nothing of flows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Flow;
use crate::{
    domain::Language,
    prompts::{Catalog, PromptKey, RecordingIndex, RecordingSource, SERVER_PROMPTS},
};

/// What voices one prompt in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Cell {
    /// The flows never play this prompt in this language.
    NotUsed,
    /// A recording plays; `uploaded` when an admin uploaded it (else a file
    /// shipped in the prompts directory).
    Recorded { duration_ms: u64, synthetic: bool, uploaded: bool },
    /// No recording: `<Say>` speaks the catalog's text.
    TextOnly,
    /// Neither a recording nor text: callers hear nothing.
    Missing,
}

/// One prompt key across the languages.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub key: PromptKey,
    /// In the order of [`Coverage::languages`].
    pub cells: Vec<Cell>,
}

/// The prompts of the active flows × languages.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub languages: Vec<Language>,
    pub rows: Vec<CoverageRow>,
}

/// Counts for one language.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CoverageTotals {
    pub recorded: usize,
    pub synthetic: usize,
    pub text_only: usize,
    pub missing: usize,
}

impl Coverage {
    /// Per language, in the order of [`Coverage::languages`].
    pub fn totals(&self) -> Vec<CoverageTotals> {
        let mut totals = vec![CoverageTotals::default(); self.languages.len()];
        for row in &self.rows {
            for (cell, total) in row.cells.iter().zip(&mut totals) {
                match cell {
                    Cell::NotUsed => {}
                    Cell::Recorded { synthetic: true, .. } => total.synthetic += 1,
                    Cell::Recorded { .. } => total.recorded += 1,
                    Cell::TextOnly => total.text_only += 1,
                    Cell::Missing => total.missing += 1,
                }
            }
        }
        totals
    }
}

/// Every prompt the flows can play, in each language, against what voices it.
pub fn coverage<'a>(catalog: &Catalog, index: &RecordingIndex, flows: impl IntoIterator<Item = &'a Flow>) -> Coverage {
    let mut used: BTreeMap<PromptKey, BTreeSet<Language>> = BTreeMap::new();
    let mut languages = BTreeSet::new();
    for flow in flows {
        languages.extend(flow.languages.iter().cloned());
        for (key, langs) in flow.catalog_prompts() {
            used.entry(key).or_default().extend(langs);
        }
    }
    for key in SERVER_PROMPTS {
        let key = PromptKey::parse(key).expect("server prompt keys are valid");
        used.entry(key).or_default().extend(languages.iter().cloned());
    }
    let languages: Vec<Language> = languages.into_iter().collect();
    let rows = used
        .into_iter()
        .map(|(key, langs)| {
            let cells = languages
                .iter()
                .map(|lang| {
                    if !langs.contains(lang) {
                        return Cell::NotUsed;
                    }
                    match (index.get(lang, &key), catalog.text(&key, lang)) {
                        (Some(r), _) => Cell::Recorded {
                            duration_ms: r.duration_ms,
                            synthetic: r.synthetic,
                            uploaded: matches!(r.source, RecordingSource::Stored { .. }),
                        },
                        (None, Some(_)) => Cell::TextOnly,
                        (None, None) => Cell::Missing,
                    }
                })
                .collect();
            CoverageRow { key, cells }
        })
        .collect();
    Coverage { languages, rows }
}
