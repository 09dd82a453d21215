//! Turns a neutral [`Prompt`] into something a gateway can voice: a recording
//! to play, or text to speak in the language's locale.

use std::sync::Arc;

use super::{Catalog, PromptKey, RecordingIndex};
use crate::{directory::Directory, domain::Language, flow::Prompt};

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
        match prompt {
            Prompt::Catalog { key, language } => self
                .recorded(language, key)
                .or_else(|| self.say(language, self.catalog.text(key, language)?.to_owned())),
            Prompt::StateName { code, language } => {
                let key = PromptKey::parse(&format!("state_{code}")).ok()?;
                let name = self.directory.state(*code)?.name_in(language).to_owned();
                self.recorded(language, &key).or_else(|| self.say(language, name))
            }
            Prompt::DistrictName { code, language } => {
                let key = PromptKey::parse(&format!("district_{code}")).ok()?;
                let name = self.directory.district(*code)?.name.clone();
                self.recorded(language, &key).or_else(|| self.say(language, name))
            }
        }
    }

    fn recorded(&self, language: &Language, key: &PromptKey) -> Option<Speech> {
        let recording = self.recordings.get(language, key)?;
        let url = format!("{}/prompts/{language}/{key}.wav?v={}", self.base_url, recording.version);
        Some(Speech::Play { url })
    }

    fn say(&self, language: &Language, text: String) -> Option<Speech> {
        let info = self.catalog.language(language)?;
        Some(Speech::Say { text, language: info.say_language.clone(), voice: info.say_voice.clone() })
    }
}
