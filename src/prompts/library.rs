//! The prompt library: uploads (checked and converted by [`crate::audio`]),
//! their versions and rollback.
//!
//! Every upload path (the admin page, the API, `sampark prompts import` and
//! `sampark prompts synth`) goes through [`PromptLibrary::upload`].

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use chrono::{DateTime, Utc};

use super::{
    Catalog, NewPromptVersion, PromptKey, PromptStore, PromptVersion, Recording, RecordingIndex, RecordingSource,
    Sequences,
};
use crate::{
    audio::{self, AudioError, AudioLimits},
    db::StoreError,
    directory::Directory,
    domain::Language,
};

/// Prompts the server speaks outside any flow (when the database fails a
/// webhook), in every language of the flows.
pub const SERVER_PROMPTS: [&str; 2] = ["spooled", "technical_error"];

/// Why an upload, rollback or activation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("`{0}` is not a language of the prompt catalog")]
    UnknownLanguage(Language),
    #[error("`{0}` is not a prompt of the catalog (nor state_<code> or district_<code> of a known state or district)")]
    UnknownPrompt(PromptKey),
    #[error("the recording was rejected: {0}")]
    Rejected(#[from] AudioError),
    #[error("there is no earlier version of this prompt to roll back to")]
    NoEarlierVersion,
    #[error("this prompt has no version {0}")]
    NoSuchVersion(i64),
    #[error("no uploaded recording of this prompt is active: callers already hear the text (or a shipped file)")]
    NothingActive,
    #[error("converting the recording failed: {0}")]
    Conversion(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A recording on its way in.
#[derive(Debug, Clone)]
pub struct Upload {
    pub language: Language,
    pub key: PromptKey,
    pub bytes: Vec<u8>,
    /// Username of the admin, or `cli:<what>` for the command line.
    pub uploaded_by: String,
    /// Made by speech synthesis.
    pub synthetic: bool,
}

/// What an upload did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The prompt's active version now.
    pub version: PromptVersion,
    /// `false`: the recording was the active version already; nothing changed.
    pub new: bool,
}

/// Uploaded prompt recordings and the index gateways' URLs are served from.
#[derive(Clone)]
pub struct PromptLibrary {
    store: PromptStore,
    index: Arc<RecordingIndex>,
    catalog: Arc<Catalog>,
    directory: &'static Directory,
    limits: AudioLimits,
    sequences: Arc<Sequences>,
}

impl std::fmt::Debug for PromptLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptLibrary").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl PromptLibrary {
    pub fn new(
        store: PromptStore,
        index: Arc<RecordingIndex>,
        catalog: Arc<Catalog>,
        directory: &'static Directory,
        limits: AudioLimits,
    ) -> Self {
        Self { store, index, catalog, directory, limits, sequences: Arc::default() }
    }

    /// Joined recordings, cached (see [`Sequences`]).
    pub fn sequences(&self) -> &Sequences {
        &self.sequences
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The versions' store, for tools and tests that look inside it.
    pub fn store(&self) -> &PromptStore {
        &self.store
    }

    pub fn index(&self) -> &RecordingIndex {
        &self.index
    }

    /// Speaks prompts from this library's catalog and recordings.
    pub fn voice(&self, public_url: &str) -> super::PromptVoice {
        super::PromptVoice::new(self.catalog.clone(), self.index.clone(), self.directory, public_url)
    }

    /// Whether a recording may be uploaded for this language and key: the
    /// language is in the catalog, and the key is a catalog prompt or the
    /// name of a state or district read back to callers.
    pub fn check_prompt(&self, language: &Language, key: &PromptKey) -> Result<(), LibraryError> {
        if self.catalog.language(language).is_none() {
            return Err(LibraryError::UnknownLanguage(language.clone()));
        }
        let known = self.catalog.contains(key) || self.directory_name(key);
        if !known {
            return Err(LibraryError::UnknownPrompt(key.clone()));
        }
        Ok(())
    }

    fn directory_name(&self, key: &PromptKey) -> bool {
        let code = |prefix: &str| key.as_str().strip_prefix(prefix);
        if let Some(code) = code("state_") {
            return code.parse().ok().and_then(|c| self.directory.state(c)).is_some();
        }
        if let Some(code) = code("district_") {
            return code.parse().ok().and_then(|c| self.directory.district(c)).is_some();
        }
        false
    }

    /// Checks and converts a recording (off the async runtime), stores it as
    /// the prompt's active version, and serves it at once. A recording that
    /// converts to exactly the active version is not stored again.
    pub async fn upload(&self, upload: Upload, at: DateTime<Utc>) -> Result<Uploaded, LibraryError> {
        self.check_prompt(&upload.language, &upload.key)?;
        let limits = self.limits.clone();
        let Upload { language, key, bytes, uploaded_by, synthetic } = upload;
        // If this future is dropped (the request timed out), the guard tells
        // the conversion to stop rather than run on unseen.
        let cancel = CancelOnDrop::default();
        let flag = cancel.0.clone();
        let (processed, original) = tokio::task::spawn_blocking(move || {
            let processed = audio::process_cancellable(&bytes, &limits, &flag);
            (processed, bytes)
        })
        .await
        .map_err(|e| LibraryError::Conversion(e.to_string()))?;
        drop(cancel);
        let processed = processed?;
        let versions = self.store.versions(&language, &key).await?;
        if let Some(active) = versions.into_iter().find(|v| v.active && v.sha256 == processed.sha256) {
            return Ok(Uploaded { version: active, new: false });
        }
        let version = NewPromptVersion {
            language,
            key,
            sha256: processed.sha256,
            duration_ms: i64::try_from(processed.duration.as_millis()).unwrap_or(i64::MAX),
            wav: processed.wav,
            original,
            original_format: processed.original_format.to_owned(),
            synthetic,
            uploaded_by,
            uploaded_at: at,
        };
        let stored = self.store.add_version(&version).await?;
        self.refresh().await?;
        Ok(Uploaded { version: stored, new: true })
    }

    /// Makes the version before the active one active again.
    pub async fn rollback(&self, language: &Language, key: &PromptKey) -> Result<PromptVersion, LibraryError> {
        let versions = self.store.versions(language, key).await?;
        let active = versions.iter().position(|v| v.active).ok_or(LibraryError::NoEarlierVersion)?;
        let earlier = versions.get(active + 1).ok_or(LibraryError::NoEarlierVersion)?;
        self.activate(language, key, earlier.id).await
    }

    /// Makes one version of a prompt active.
    pub async fn activate(&self, language: &Language, key: &PromptKey, id: i64) -> Result<PromptVersion, LibraryError> {
        let activated = self.store.activate(language, key, id).await?.ok_or(LibraryError::NoSuchVersion(id))?;
        self.refresh().await?;
        Ok(activated)
    }

    /// Goes back from the uploaded recording to what played before any
    /// upload: the catalog text spoken by the gateway (or a file shipped in
    /// the prompts directory, if there is one). The recording stays as an
    /// inactive version. Returns the version that was active.
    pub async fn use_text(&self, language: &Language, key: &PromptKey) -> Result<PromptVersion, LibraryError> {
        self.check_prompt(language, key)?;
        let deactivated = self.store.deactivate(language, key).await?.ok_or(LibraryError::NothingActive)?;
        self.refresh().await?;
        Ok(deactivated)
    }

    /// Every version of a prompt, newest first.
    pub async fn versions(&self, language: &Language, key: &PromptKey) -> Result<Vec<PromptVersion>, StoreError> {
        self.store.versions(language, key).await
    }

    /// Reloads the active uploaded versions into the index (after an upload
    /// here, and periodically for uploads made on other instances).
    pub async fn refresh(&self) -> Result<usize, StoreError> {
        let active = self.store.active_versions().await?;
        let count = active.len();
        self.index.set_stored(active.into_iter().map(|v| {
            let recording = Recording::stored(&v);
            (v.language, v.key, recording)
        }));
        Ok(count)
    }

    /// The bytes of a recording, wherever they are.
    pub async fn audio(&self, recording: &Recording) -> Result<Vec<u8>, LibraryError> {
        match &recording.source {
            RecordingSource::File(path) => {
                tokio::fs::read(path).await.map_err(|e| LibraryError::Store(StoreError::Corrupt(e.to_string())))
            }
            RecordingSource::Stored { version_id } => {
                self.store.audio(*version_id, false).await?.ok_or(LibraryError::NoSuchVersion(*version_id))
            }
        }
    }

    /// A version's converted WAV or its original upload.
    pub async fn version_audio(&self, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.audio(id, original).await
    }
}

/// Sets its flag when dropped: handed to blocking work that should stop
/// once nobody waits for it.
#[derive(Debug, Default)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Recording {
    /// The index entry of an uploaded version (always 8 kHz mono 16-bit).
    pub fn stored(version: &PromptVersion) -> Self {
        Self {
            source: RecordingSource::Stored { version_id: version.id },
            version: super::version_tag(&version.sha256),
            bytes: u64::try_from(version.bytes).unwrap_or(0),
            format: super::WavFormat::GATEWAY,
            duration_ms: u64::try_from(version.duration_ms).unwrap_or(0),
            synthetic: version.synthetic,
        }
    }
}
