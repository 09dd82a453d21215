//! Which prompts have recordings, and the version tag of each: the files
//! shipped in the prompts directory, overridden by recordings admins
//! uploaded (stored in the database, one version active per prompt).
//!
//! Gateways cache audio by URL, so every prompt's file name carries a short
//! content hash: a new recording gets a new URL and is played at once.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::RwLock,
};

use sha2::{Digest, Sha256};

use super::PromptKey;
use crate::domain::Language;

/// Where a recording's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingSource {
    /// A file shipped in the prompts directory.
    File(PathBuf),
    /// An uploaded version, in the database.
    Stored { version_id: i64 },
}

/// A recording gateways can play.
#[derive(Debug, Clone)]
pub struct Recording {
    pub source: RecordingSource,
    /// First 16 hex digits of the SHA-256 of the file: ETag and URL version.
    pub version: String,
    pub bytes: u64,
    /// Sample rate, channels and sample width: recordings are joined into one
    /// file (for gateways that take a single audio URL) only when these agree.
    pub format: WavFormat,
    /// How long it plays.
    pub duration_ms: u64,
    /// Made by speech synthesis, a placeholder until someone records it.
    pub synthetic: bool,
}

/// The PCM layout of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    pub sample_rate: u32,
    pub channels: u16,
    pub bits_per_sample: u16,
}

impl WavFormat {
    /// What uploads are converted to: 8 kHz mono 16-bit PCM (Exotel's
    /// requirement; every gateway plays it).
    pub const GATEWAY: Self = Self { sample_rate: 8000, channels: 1, bits_per_sample: 16 };
}

/// Recordings by language and key.
#[derive(Debug, Default)]
pub struct RecordingIndex {
    files: HashMap<(Language, PromptKey), Recording>,
    stored: RwLock<HashMap<(Language, PromptKey), Recording>>,
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
        Ok(Self { files: by_prompt, stored: RwLock::default() })
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
        let frames = hound::WavReader::new(std::io::Cursor::new(&bytes)).map(|r| r.duration()).unwrap_or(0);
        let duration_ms = u64::from(frames) * 1000 / u64::from(spec.sample_rate.max(1));
        let format =
            WavFormat { sample_rate: spec.sample_rate, channels: spec.channels, bits_per_sample: spec.bits_per_sample };
        let recording = Recording {
            source: RecordingSource::File(path.to_owned()),
            version: version_tag(&Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()),
            bytes: bytes.len() as u64,
            format,
            duration_ms,
            synthetic: false,
        };
        Ok(Some((key, recording)))
    }

    /// The recording that plays for a prompt: an uploaded one, else a shipped file.
    pub fn get(&self, lang: &Language, key: &PromptKey) -> Option<Recording> {
        let prompt = (lang.clone(), key.clone());
        let stored = self.stored.read().expect("index lock").get(&prompt).cloned();
        stored.or_else(|| self.files.get(&prompt).cloned())
    }

    /// Replaces the uploaded recordings (the active version of each).
    pub fn set_stored(&self, recordings: impl IntoIterator<Item = (Language, PromptKey, Recording)>) {
        let map = recordings.into_iter().map(|(l, k, r)| ((l, k), r)).collect();
        *self.stored.write().expect("index lock") = map;
    }

    /// Recordings shipped as files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The version tag in URLs and ETags: the first 16 hex digits of a SHA-256.
pub fn version_tag(sha256_hex: &str) -> String {
    sha256_hex.chars().take(16).collect()
}
