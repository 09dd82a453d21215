//! The prompt catalog and the recordings that voice it.
//!
//! `prompts/catalog.toml` holds, for every prompt key, its text in every
//! language: the script for the person who records it, the `<Say>` fallback
//! when no recording exists, and the transcript tests and the simulator show.
//! Recordings live at `prompts/<lang>/<key>.wav`; the state and district names
//! read back to callers may be recorded too, as `state_<code>.wav` and
//! `district_<code>.wav`.

mod catalog;
#[cfg(test)]
mod catalog_tests;
mod library;
mod prompt;
mod recordings;
mod sequences;
pub mod store;
mod voice;

pub use catalog::{Catalog, CatalogError, LanguageInfo, PromptKey, PromptKeyError};
pub use library::{LibraryError, PromptLibrary, SERVER_PROMPTS, Upload, Uploaded};
pub use prompt::Prompt;
pub use recordings::{Recording, RecordingIndex, RecordingSource, WavFormat, version_tag};
pub use sequences::Sequences;
pub use store::{NewPromptVersion, PromptStore, PromptVersion};
pub use voice::{PromptVoice, Speech, recording_key, sequence_version};
