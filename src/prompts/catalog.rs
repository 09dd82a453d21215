//! Parsing and checking `prompts/catalog.toml`.

use std::{collections::BTreeMap, fmt, path::Path};

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
    /// The language's own name, for people reading the catalog.
    pub name: String,
    /// BCP-47 locale for text-to-speech, e.g. `hi-IN` (Twilio `<Say language>`).
    pub say_language: String,
    /// Optional text-to-speech voice, e.g. `Polly.Aditi` (Twilio `<Say voice>`).
    #[serde(default)]
    pub say_voice: Option<String>,
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

#[derive(Debug, Deserialize)]
struct PromptEntry {
    /// A note for whoever records the prompt; never spoken.
    #[serde(default)]
    note: Option<String>,
    #[serde(flatten)]
    texts: BTreeMap<String, String>,
}

/// The catalog: languages, and each prompt's text per language.
#[derive(Debug)]
pub struct Catalog {
    languages: BTreeMap<Language, LanguageInfo>,
    prompts: BTreeMap<PromptKey, BTreeMap<Language, String>>,
    notes: BTreeMap<PromptKey, String>,
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
            file.languages.extend(over.languages);
            for (key, entry) in over.prompts {
                let base =
                    file.prompts.entry(key).or_insert_with(|| PromptEntry { note: None, texts: BTreeMap::new() });
                base.note = entry.note.or(base.note.take());
                base.texts.extend(entry.texts);
            }
        }
        Self::check(file).map_err(invalid)
    }

    /// The built-in catalog alone.
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN).expect("the built-in catalog is checked by its tests")
    }

    /// Parses catalog text and checks that every prompt has text in every
    /// language, and no text in a language the catalog does not declare.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::check(toml::from_str(text).map_err(|e| e.to_string())?)
    }

    fn check(file: CatalogFile) -> Result<Self, String> {
        let mut problems = Vec::new();
        let mut prompts = BTreeMap::new();
        let mut notes = BTreeMap::new();
        for (key, entry) in file.prompts {
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
            Ok(Self { languages: file.languages, prompts, notes })
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_LANGUAGES: &str = r#"
        [languages.hi]
        name = "हिन्दी"
        say_language = "hi-IN"
        [languages.en]
        name = "English"
        say_language = "en-IN"
    "#;

    #[test]
    fn a_prompt_missing_a_language_is_reported() {
        let text = format!("{TWO_LANGUAGES}\n[prompts.thanks]\nhi = \"धन्यवाद\"\n");
        let err = Catalog::parse(&text).unwrap_err();
        assert!(err.contains("prompt `thanks` has no `en` text"), "{err}");
    }

    #[test]
    fn text_in_an_undeclared_language_is_reported() {
        let text = format!("{TWO_LANGUAGES}\n[prompts.thanks]\nhi = \"a\"\nen = \"b\"\nta = \"c\"\n");
        let err = Catalog::parse(&text).unwrap_err();
        assert!(err.contains("`ta`"), "{err}");
    }

    #[test]
    fn keys_that_could_escape_a_path_are_rejected() {
        for bad in ["", "../x", "Welcome", "a b", "a.wav", &"x".repeat(65)] {
            assert!(PromptKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shipped_catalog_is_complete() {
        let catalog = Catalog::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts").as_path()).unwrap();
        for lang in ["hi", "bn", "or", "en"] {
            assert!(catalog.language(&Language::parse(lang).unwrap()).is_some(), "{lang}");
        }
    }
}
