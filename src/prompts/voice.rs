//! Turns a neutral [`Prompt`] into something a gateway can voice: a recording
//! to play, or text to speak in the language's locale.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Catalog, Prompt, PromptKey, Recording, RecordingIndex};
use crate::{directory::Directory, domain::Language};

/// What the caller hears for one prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Speech {
    /// Play the recording at this URL.
    Play { url: String },
    /// Speak this text with text-to-speech.
    Say { text: String, language: String, voice: Option<String> },
}

/// Resolves prompts against the catalog, the recordings and the directory.
#[derive(Debug, Clone)]
pub struct PromptVoice {
    catalog: Arc<Catalog>,
    recordings: Arc<RecordingIndex>,
    directory: &'static Directory,
    base_url: String,
}

impl PromptVoice {
    /// `base_url` is the public URL gateways reach us at (no trailing `/`).
    pub fn new(
        catalog: Arc<Catalog>,
        recordings: Arc<RecordingIndex>,
        directory: &'static Directory,
        base_url: &str,
    ) -> Self {
        Self { catalog, recordings, directory, base_url: base_url.trim_end_matches('/').to_owned() }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// A recording when there is one, else the text spoken; `None` only when
    /// neither exists (a flow version older than the catalog).
    pub fn speech(&self, prompt: &Prompt) -> Option<Speech> {
        if let Some((language, key, recording)) = self.recording(prompt) {
            return Some(Speech::Play { url: self.recording_url(language, &key, &recording) });
        }
        let language = prompt.language();
        let text = self.text(prompt)?;
        let info = self.catalog.language(language)?;
        Some(Speech::Say { text, language: info.say_language.clone(), voice: info.say_voice.clone() })
    }

    /// The words of a prompt in its language (what a recording says, or `<Say>` would).
    pub fn text(&self, prompt: &Prompt) -> Option<String> {
        match prompt {
            Prompt::Catalog { key, language } => self.catalog.text(key, language).map(str::to_owned),
            Prompt::StateName { code, language } => Some(self.directory.state(*code)?.name_in(language).to_owned()),
            Prompt::DistrictName { code, .. } => Some(self.directory.district(*code)?.name.clone()),
            Prompt::PostOffice { pin, .. } => {
                crate::directory::pin_code(&pin.to_string())?.main_office().map(str::to_owned)
            }
        }
    }

    /// One URL that plays all the prompts, for gateways that take a single
    /// audio URL (Exotel's Gather): the recording itself for one prompt, the
    /// recordings joined (`/prompts/sequence.wav`) for several. `None` unless
    /// every prompt is recorded, in one PCM format.
    pub fn single_audio_url(&self, prompts: &[Prompt]) -> Option<String> {
        let recorded: Vec<(&Language, PromptKey, Recording)> =
            prompts.iter().map(|p| self.recording(p)).collect::<Option<_>>()?;
        match recorded.as_slice() {
            [] => None,
            [(language, key, recording)] => Some(self.recording_url(language, key, recording)),
            [(_, _, first), rest @ ..] => {
                if rest.iter().any(|(_, _, r)| r.format != first.format) {
                    return None;
                }
                let list: Vec<String> = recorded.iter().map(|(l, k, _)| format!("{l}/{k}")).collect();
                let versions: String = recorded.iter().map(|(_, _, r)| r.version.as_str()).collect();
                let version = sequence_version(&versions);
                Some(format!("{}/prompts/sequence.{version}.wav?p={}", self.base_url, list.join(",")))
            }
        }
    }

    /// A recording's URL. The content hash is part of the file name, so a
    /// new recording has a new name: gateways that cache audio by name
    /// (Exotel says it does) play it at once.
    fn recording_url(&self, language: &Language, key: &PromptKey, recording: &Recording) -> String {
        format!("{}/prompts/{language}/{key}.{}.wav", self.base_url, recording.version)
    }

    /// The recording that voices a prompt, if any.
    pub fn recording_of(&self, prompt: &Prompt) -> Option<Recording> {
        self.recording(prompt).map(|(_, _, recording)| recording)
    }

    fn recording<'a>(&'a self, prompt: &'a Prompt) -> Option<(&'a Language, PromptKey, Recording)> {
        let key = recording_key(prompt)?;
        let language = prompt.language();
        let recording = self.recordings.get(language, &key)?;
        Some((language, key, recording))
    }

    pub fn recordings(&self) -> &RecordingIndex {
        &self.recordings
    }
}

/// The key a prompt's recording is filed under: the catalog key, or
/// `state_<code>` / `district_<code>` for a name read back. A post office
/// has none: some 19,000 PIN codes are spoken, never recorded.
pub fn recording_key(prompt: &Prompt) -> Option<PromptKey> {
    match prompt {
        Prompt::Catalog { key, .. } => Some(key.clone()),
        Prompt::StateName { code, .. } => PromptKey::parse(&format!("state_{code}")).ok(),
        Prompt::DistrictName { code, .. } => PromptKey::parse(&format!("district_{code}")).ok(),
        Prompt::PostOffice { .. } => None,
    }
}

/// The version tag of a joined recording: a hash of its parts' versions.
pub fn sequence_version(part_versions: &str) -> String {
    Sha256::digest(part_versions.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}
