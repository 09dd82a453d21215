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
    /// No recording and no gateway voice for the language: the caller hears
    /// the prompt in `language` (the catalog's `say_instead`) until it is
    /// recorded.
    SaidInstead { language: Language },
    /// Neither a recording nor text: callers hear nothing.
    Missing,
}

/// One prompt key across the languages.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub key: PromptKey,
    /// In the order of [`Coverage::languages`].
    pub cells: Vec<Cell>,
    /// The languages (of those the flows play it in) whose text for this
    /// prompt no native speaker has checked yet.
    pub unchecked: Vec<Language>,
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
    pub said_instead: usize,
    pub missing: usize,
    /// Prompts played in the language whose text is not yet checked by a
    /// native speaker (whatever voices them).
    pub unchecked: usize,
}

impl Coverage {
    /// Per language, in the order of [`Coverage::languages`].
    pub fn totals(&self) -> Vec<CoverageTotals> {
        let mut totals = vec![CoverageTotals::default(); self.languages.len()];
        for row in &self.rows {
            for ((cell, lang), total) in row.cells.iter().zip(&self.languages).zip(&mut totals) {
                if *cell != Cell::NotUsed && row.unchecked.contains(lang) {
                    total.unchecked += 1;
                }
                match cell {
                    Cell::NotUsed => {}
                    Cell::Recorded { synthetic: true, .. } => total.synthetic += 1,
                    Cell::Recorded { .. } => total.recorded += 1,
                    Cell::TextOnly => total.text_only += 1,
                    Cell::SaidInstead { .. } => total.said_instead += 1,
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
                .map(|lang| if langs.contains(lang) { cell(catalog, index, &key, lang) } else { Cell::NotUsed })
                .collect();
            let unchecked = catalog.unchecked(&key).into_iter().filter(|l| langs.contains(*l)).cloned().collect();
            CoverageRow { key, cells, unchecked }
        })
        .collect();
    Coverage { languages, rows }
}

/// What voices `key` in `lang`, a language the flows play it in.
fn cell(catalog: &Catalog, index: &RecordingIndex, key: &PromptKey, lang: &Language) -> Cell {
    if let Some(r) = index.get(lang, key) {
        return Cell::Recorded {
            duration_ms: r.duration_ms,
            synthetic: r.synthetic,
            uploaded: matches!(r.source, RecordingSource::Stored { .. }),
        };
    }
    if catalog.text(key, lang).is_none() {
        return Cell::Missing;
    }
    match catalog.language(lang).map(|info| (&info.say_language, &info.say_instead)) {
        Some((Some(_), _)) => Cell::TextOnly,
        Some((None, Some(instead))) if !catalog.own_language(key) && catalog.text(key, instead).is_some() => {
            Cell::SaidInstead { language: instead.clone() }
        }
        _ => Cell::Missing,
    }
}
