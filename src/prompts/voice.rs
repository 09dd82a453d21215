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

    /// A recording when there is one, else the text spoken; `None` when
    /// neither exists (a flow version older than the catalog), or when the
    /// language has no voice and the prompt names its own language. A
    /// language with no gateway voice is played or said in its
    /// `say_instead` language.
    pub fn speech(&self, prompt: &Prompt) -> Option<Speech> {
        let voiced = self.voiced(prompt)?;
        if let Some((language, key, recording)) = self.recording(&voiced) {
            return Some(Speech::Play { url: self.recording_url(language, &key, &recording) });
        }
        let info = self.catalog.language(voiced.language())?;
        let text = self.text(&voiced)?;
        Some(Speech::Say { text, language: info.say_language.clone()?, voice: info.say_voice.clone() })
    }

    /// The prompt the caller hears for `prompt`: itself when recorded or
    /// when a gateway voice reads its language, else the same prompt in the
    /// language's `say_instead` (unless it names its own language).
    pub fn voiced(&self, prompt: &Prompt) -> Option<Prompt> {
        let info = self.catalog.language(prompt.language())?;
        if info.say_language.is_some() || self.recording(prompt).is_some() {
            return Some(prompt.clone());
        }
        let names_own_language = matches!(prompt, Prompt::Catalog { key, .. } if self.catalog.own_language(key));
        let instead = info.say_instead.clone().filter(|_| !names_own_language)?;
        Some(prompt.in_language(instead))
    }

    /// The words the caller hears for a prompt when it is not recorded:
    /// [`text`](Self::text) of the [`voiced`](Self::voiced) prompt.
    pub fn spoken_text(&self, prompt: &Prompt) -> Option<String> {
        self.text(&self.voiced(prompt)?)
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
    /// every prompt is recorded (itself, or what stands in for it when no
    /// voice reads its language), in one PCM format.
    pub fn single_audio_url(&self, prompts: &[Prompt]) -> Option<String> {
        let voiced: Vec<Prompt> = prompts.iter().map(|p| self.voiced(p)).collect::<Option<_>>()?;
        let recorded: Vec<(&Language, PromptKey, Recording)> =
            voiced.iter().map(|p| self.recording(p)).collect::<Option<_>>()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::StateCode,
        prompts::{RecordingSource, WavFormat},
    };

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    fn catalog_prompt(key: &str, language: &str) -> Prompt {
        Prompt::Catalog { key: PromptKey::parse(key).unwrap(), language: lang(language) }
    }

    fn voice(index: RecordingIndex) -> PromptVoice {
        PromptVoice::new(Arc::new(Catalog::built_in()), Arc::new(index), Directory::bundled(), "https://x.test")
    }

    fn recording() -> Recording {
        Recording {
            source: RecordingSource::Stored { version_id: 1 },
            version: "abc".to_owned(),
            bytes: 100,
            format: WavFormat::GATEWAY,
            duration_ms: 1000,
            synthetic: true,
        }
    }

    #[test]
    fn a_devanagari_language_without_its_own_voice_is_read_by_the_hindi_voice() {
        let Some(Speech::Say { text, language, .. }) =
            voice(RecordingIndex::default()).speech(&catalog_prompt("thanks", "bho"))
        else {
            panic!("said");
        };
        assert_eq!(language, "hi-IN");
        assert!(text.starts_with("धन्यवाद। एगो स्वयंसेवक"), "the Bhojpuri text: {text}");
    }

    #[test]
    fn a_language_no_voice_reads_is_said_in_its_stand_in_until_recorded() {
        let voice = voice(RecordingIndex::default());
        let Some(Speech::Say { text, language, .. }) = voice.speech(&catalog_prompt("thanks", "sat")) else {
            panic!("said");
        };
        assert_eq!(
            (language.as_str(), text),
            ("hi-IN", Catalog::built_in().text(&PromptKey::parse("thanks").unwrap(), &lang("hi")).unwrap().to_owned())
        );
        let bihar = Prompt::StateName { code: StateCode::new(10).unwrap(), language: lang("sat") };
        assert_eq!(voice.spoken_text(&bihar).as_deref(), Some("बिहार"));
        assert_eq!(voice.speech(&catalog_prompt("language_option", "sat")), None, "Hindi's line would name Hindi");
        assert_eq!(voice.spoken_text(&catalog_prompt("language_option", "sat")), None);
    }

    #[test]
    fn a_recording_plays_in_the_language_itself_and_else_the_stand_in_s() {
        let index = RecordingIndex::default();
        let thanks = PromptKey::parse("thanks").unwrap();
        let welcome = PromptKey::parse("welcome").unwrap();
        index.set_stored([(lang("sat"), thanks, recording()), (lang("hi"), welcome, recording())]);
        let voice = voice(index);
        let played = |p: &Prompt| match voice.speech(p) {
            Some(Speech::Play { url }) => url,
            other => panic!("{other:?}"),
        };
        assert_eq!(played(&catalog_prompt("thanks", "sat")), "https://x.test/prompts/sat/thanks.abc.wav");
        assert_eq!(played(&catalog_prompt("welcome", "sat")), "https://x.test/prompts/hi/welcome.abc.wav");
        assert_eq!(
            voice.single_audio_url(&[catalog_prompt("welcome", "sat")]).as_deref(),
            Some("https://x.test/prompts/hi/welcome.abc.wav"),
            "Exotel's one audio URL too"
        );
    }
}
