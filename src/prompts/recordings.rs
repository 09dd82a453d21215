//! Which prompts have recordings on disk, and the version tag of each.
//!
//! Gateways cache audio by URL, so every prompt URL carries a short content
//! hash (`?v=…`): a new recording gets a new URL and is played at once.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use super::PromptKey;
use crate::domain::Language;

/// A recording on disk.
#[derive(Debug, Clone)]
pub struct Recording {
    pub path: PathBuf,
    /// First 16 hex digits of the SHA-256 of the file: ETag and URL version.
    pub version: String,
    pub bytes: u64,
    /// Sample rate, channels and sample width: recordings are joined into one
    /// file (for gateways that take a single audio URL) only when these agree.
    pub format: WavFormat,
}

/// The PCM layout of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
}

/// Recordings found under the prompts directory, by language and key.
#[derive(Debug, Default)]
pub struct RecordingIndex {
    by_prompt: HashMap<(Language, PromptKey), Recording>,
}

impl RecordingIndex {
    /// Scans `<dir>/<lang>/<key>.wav` for every language given. Files that are
    /// not PCM WAV are skipped with a warning, since a gateway fed the wrong
    /// bytes fails the whole call (Twilio error 11200).
    pub fn scan<'a>(dir: &Path, languages: impl IntoIterator<Item = &'a Language>) -> std::io::Result<Self> {
        let mut by_prompt = HashMap::new();
        for lang in languages {
            let lang_dir = dir.join(lang.as_str());
            let Ok(entries) = std::fs::read_dir(&lang_dir) else { continue };
            for entry in entries {
                let path = entry?.path();
                if let Some(found) = Self::read_one(&path)? {
                    by_prompt.insert((lang.clone(), found.0), found.1);
                }
            }
        }
        Ok(Self { by_prompt })
    }

    fn read_one(path: &Path) -> std::io::Result<Option<(PromptKey, Recording)>> {
        if path.extension().and_then(|e| e.to_str()) != Some("wav") {
            return Ok(None);
        }
        let Some(key) = path.file_stem().and_then(|s| s.to_str()).and_then(|s| PromptKey::parse(s).ok()) else {
            tracing::warn!(file = %path.display(), "skipping a recording whose name is not a prompt key");
            return Ok(None);
        };
        let bytes = std::fs::read(path)?;
        let spec = match hound::WavReader::new(std::io::Cursor::new(&bytes)) {
            Ok(reader) if reader.spec().sample_format == hound::SampleFormat::Int => reader.spec(),
            _ => {
                tracing::warn!(file = %path.display(), "skipping a recording that is not a PCM WAV file");
                return Ok(None);
            }
        };
        let digest = Sha256::digest(&bytes);
        let version = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let format =
            WavFormat { sample_rate: spec.sample_rate, channels: spec.channels, bits_per_sample: spec.bits_per_sample };
        let recording = Recording { path: path.to_owned(), version, bytes: bytes.len() as u64, format };
        Ok(Some((key, recording)))
    }

    pub fn get(&self, lang: &Language, key: &PromptKey) -> Option<&Recording> {
        self.by_prompt.get(&(lang.clone(), key.clone()))
    }

    pub fn len(&self) -> usize {
        self.by_prompt.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_prompt.is_empty()
    }
}
