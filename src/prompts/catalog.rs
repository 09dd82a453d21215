//! Parsing and checking `prompts/catalog.toml`.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::Path,
};

use serde::{Deserialize, Serialize};

use crate::domain::Language;

/// A prompt key: lower-case ASCII letters, digits and `_`, at most 64 long.
/// Safe to use as a file name, which is how recordings are found.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PromptKey(String);

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a prompt key (lower-case letters, digits and `_`, at most 64)")]
pub struct PromptKeyError(String);

impl PromptKey {
    pub fn parse(key: &str) -> Result<Self, PromptKeyError> {
        let ok = !key.is_empty()
            && key.len() <= 64
            && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok { Ok(Self(key.to_owned())) } else { Err(PromptKeyError(key.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PromptKey {
    type Error = PromptKeyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PromptKey> for String {
    fn from(value: PromptKey) -> Self {
        value.0
    }
}

impl fmt::Display for PromptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PromptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PromptKey({})", self.0)
    }
}

/// How a language is spoken when no recording exists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageInfo {
    /// The language's own name in its own script, as menus show it.
    pub name: String,
    /// BCP-47 locale of the gateway voice that reads the language's texts,
    /// e.g. `hi-IN` (Twilio `<Say language>`); it may be a nearby
    /// language's voice for the same script. `None`: no gateway voice reads
    /// it, and [`say_instead`](Self::say_instead) is spoken instead.
    #[serde(default)]
    pub say_language: Option<String>,
    /// Optional text-to-speech voice, e.g. `Polly.Aditi` (Twilio `<Say voice>`).
    #[serde(default)]
    pub say_voice: Option<String>,
    /// With no `say_language`: the catalog language whose recording or text
    /// plays while a prompt has no recording in this one.
    #[serde(default)]
    pub say_instead: Option<Language>,
    /// `Some(false)`: no native speaker has checked this language's texts.
    /// Left out of an overlay, the built-in language's mark stands.
    #[serde(default)]
    checked: Option<bool>,
}

impl LanguageInfo {
    /// Whether a native speaker has checked the language's texts (unless
    /// a prompt marks its text `unchecked`).
    pub fn checked(&self) -> bool {
        self.checked.unwrap_or(true)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    languages: BTreeMap<Language, LanguageInfo>,
    prompts: BTreeMap<PromptKey, PromptEntry>,
}

/// A catalog file laid over the built-in one: either part may be left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverlayFile {
    #[serde(default)]
    languages: BTreeMap<Language, LanguageInfo>,
    #[serde(default)]
    prompts: BTreeMap<PromptKey, PromptEntry>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptEntry {
    /// A note for whoever records the prompt; never spoken.
    #[serde(default)]
    note: Option<String>,
    /// Languages whose text for this prompt no native speaker has checked.
    #[serde(default)]
    unchecked: Option<Vec<String>>,
    /// The text names its own language (a language menu's line): never
    /// said in another language in its place.
    #[serde(default)]
    own_language: Option<bool>,
    #[serde(flatten)]
    texts: BTreeMap<String, String>,
}

impl PromptEntry {
    /// `over` laid over this entry. Its texts replace these; a language it
    /// gives a text for, without an `unchecked` list of its own, loses the
    /// built-in mark: whoever wrote the text answers for it.
    fn overlay(&mut self, over: PromptEntry) {
        self.note = over.note.or(self.note.take());
        self.own_language = over.own_language.or(self.own_language);
        match over.unchecked {
            Some(list) => self.unchecked = Some(list),
            None => {
                if let Some(list) = &mut self.unchecked {
                    list.retain(|code| !over.texts.contains_key(code));
                }
            }
        }
        self.texts.extend(over.texts);
    }
}

/// The catalog: languages, and each prompt's text per language.
#[derive(Debug)]
pub struct Catalog {
    languages: BTreeMap<Language, LanguageInfo>,
    prompts: BTreeMap<PromptKey, BTreeMap<Language, String>>,
    notes: BTreeMap<PromptKey, String>,
    /// Per prompt, the languages its entry marks unchecked.
    unchecked: BTreeMap<PromptKey, BTreeSet<Language>>,
    own_language: BTreeSet<PromptKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the prompt catalog {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the prompt catalog {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

/// The catalog built into the binary (`prompts/catalog.toml` in the
/// source tree): what a fresh install speaks with no files of its own.
pub const BUILT_IN: &str = include_str!("../../prompts/catalog.toml");

impl Catalog {
    /// The built-in catalog, with `<dir>/catalog.toml` laid over it when
    /// that file exists: its languages are added (or replace the built-in
    /// ones of the same code) and its texts replace the built-in texts of
    /// the same prompt and language, so a file that changes one text, or
    /// adds a language, need not copy the rest, and a copy made before an
    /// upgrade still has every prompt the new flows ask for.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        let path = dir.join("catalog.toml");
        let invalid = |message: String| CatalogError::Invalid { path: path.display().to_string(), message };
        let overlay = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(CatalogError::Read { path: path.display().to_string(), source }),
        };
        let mut file: CatalogFile = toml::from_str(BUILT_IN).map_err(|e| invalid(format!("built in: {e}")))?;
        if let Some(text) = overlay {
            let over: OverlayFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
            for (code, mut info) in over.languages {
                if info.checked.is_none() {
                    info.checked = file.languages.get(&code).and_then(|base| base.checked);
                }
                file.languages.insert(code, info);
            }
            for (key, entry) in over.prompts {
                file.prompts.entry(key).or_default().overlay(entry);
            }
        }
        Self::check(file).map_err(invalid)
    }

    /// The built-in catalog alone.
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN).expect("the built-in catalog is checked by its tests")
    }

    /// Parses catalog text and checks that every prompt has text in every
    /// language, and no text (or `unchecked` mark) in a language the
    /// catalog does not declare; that every language has a voice or a
    /// language to speak instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::check(toml::from_str(text).map_err(|e| e.to_string())?)
    }

    fn check(file: CatalogFile) -> Result<Self, String> {
        let mut problems = check_voices(&file.languages);
        let mut prompts = BTreeMap::new();
        let mut notes = BTreeMap::new();
        let mut unchecked = BTreeMap::new();
        let mut own_language = BTreeSet::new();
        for (key, entry) in file.prompts {
            let mut marked = BTreeSet::new();
            for code in entry.unchecked.iter().flatten() {
                match Language::parse(code) {
                    Ok(lang) if file.languages.contains_key(&lang) => {
                        marked.insert(lang);
                    }
                    _ => problems
                        .push(format!("prompt `{key}` marks `{code}` unchecked, which is not a catalog language")),
                }
            }
            if !marked.is_empty() {
                unchecked.insert(key.clone(), marked);
            }
            if entry.own_language == Some(true) {
                own_language.insert(key.clone());
            }
            let mut texts = BTreeMap::new();
            for (code, text) in entry.texts {
                match Language::parse(&code) {
                    Ok(lang) if file.languages.contains_key(&lang) => {
                        texts.insert(lang, text);
                    }
                    _ => problems.push(format!("prompt `{key}` has text in `{code}`, which is not a catalog language")),
                }
            }
            for lang in file.languages.keys() {
                if texts.get(lang).is_none_or(|t| t.trim().is_empty()) {
                    problems.push(format!("prompt `{key}` has no `{lang}` text"));
                }
            }
            if let Some(note) = entry.note {
                notes.insert(key.clone(), note);
            }
            prompts.insert(key, texts);
        }
        if problems.is_empty() {
            Ok(Self { languages: file.languages, prompts, notes, unchecked, own_language })
        } else {
            Err(problems.join("; "))
        }
    }

    pub fn language(&self, lang: &Language) -> Option<&LanguageInfo> {
        self.languages.get(lang)
    }

    pub fn languages(&self) -> impl Iterator<Item = &Language> {
        self.languages.keys()
    }

    pub fn contains(&self, key: &PromptKey) -> bool {
        self.prompts.contains_key(key)
    }

    /// The prompt's text in `lang`, if the catalog has both.
    pub fn text(&self, key: &PromptKey, lang: &Language) -> Option<&str> {
        self.prompts.get(key)?.get(lang).map(String::as_str)
    }

    pub fn note(&self, key: &PromptKey) -> Option<&str> {
        self.notes.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &PromptKey> {
        self.prompts.keys()
    }

    /// Whether a native speaker has checked the prompt's text in `lang`:
    /// its language is checked and the prompt does not mark it unchecked.
    pub fn is_checked(&self, key: &PromptKey, lang: &Language) -> bool {
        self.language(lang).is_some_and(LanguageInfo::checked)
            && !self.unchecked.get(key).is_some_and(|marked| marked.contains(lang))
    }

    /// The languages whose text for `key` still needs a native speaker.
    pub fn unchecked(&self, key: &PromptKey) -> Vec<&Language> {
        self.languages().filter(|lang| !self.is_checked(key, lang)).collect()
    }

    /// Whether the prompt's text names its own language (a language
    /// menu's line), so that no other language's may stand in for it.
    pub fn own_language(&self, key: &PromptKey) -> bool {
        self.own_language.contains(key)
    }
}

/// Every language needs a gateway voice, or another language to be spoken
/// in its place that has one.
fn check_voices(languages: &BTreeMap<Language, LanguageInfo>) -> Vec<String> {
    let mut problems = Vec::new();
    for (lang, info) in languages {
        match (&info.say_language, &info.say_instead) {
            (Some(_), None) => {}
            (Some(_), Some(_)) => {
                problems.push(format!("language `{lang}` has both `say_language` and `say_instead`: keep one"))
            }
            (None, None) => problems.push(format!(
                "language `{lang}` has neither `say_language` (a gateway voice) nor `say_instead` (a language to speak instead)"
            )),
            (None, Some(instead)) => {
                if languages.get(instead).is_none_or(|i| i.say_language.is_none()) {
                    problems.push(format!(
                        "language `{lang}` says `say_instead = \"{instead}\"`, which is not a catalog language with a `say_language`"
                    ));
                }
            }
        }
    }
    problems
}
