//! Prompt audio: checking uploads and turning them into what gateways play
//! well (see issue "Admins manage prompt recordings").
//!
//! An admin uploads a recording in whatever their phone or editor produced
//! (WAV, MP3, Ogg Vorbis or FLAC, any common rate, mono or stereo).
//! [`process`] either refuses it with a reason the admin can act on
//! ([`AudioError`]) or returns one canonical form: 8 kHz mono 16-bit PCM WAV,
//! band-limited to the telephone band, at one loudness for every prompt,
//! with a quarter second of silence in front so gateways that open the audio
//! path late do not swallow the first syllable.
//!
//! The pipeline, and why each step is where it is:
//!
//! 1. [`probe_format`]: the magic number says whether this is audio at all,
//!    before a decoder is handed arbitrary bytes.
//! 2. Decode (`decode.rs`): a compressed file larger than the longest
//!    recording can be is refused unread; the declared length is checked
//!    before decoding; decoding stops at the limit, and so does the decoding
//!    *work* (frames decoded, including those trimmed away), so neither a
//!    lying header nor a crafted stream can make us allocate hours of samples
//!    or spend a minute of CPU. A packet that does not decode, or a file that
//!    ends before its headers say, is refused (damaged, truncated). Channels
//!    are mixed to mono on the fly; clipping is counted per channel first,
//!    since mixing would hide it.
//! 3. Refuse empty, too long and clipped recordings.
//! 4. Remove DC, then low-pass and resample to 8 kHz in one step
//!    (`resample.rs`): rodio's resampler does not filter and would alias.
//! 5. Refuse silence, judged on the 8 kHz signal, i.e. on what a caller
//!    would actually hear (a file holding only ultrasonic noise is silent);
//!    then too little sound (a click, a clip of 10 ms), noise and hum
//!    (`content.rs`).
//! 6. Normalise loudness with a peak limiter and fade the edges (`dsp.rs`),
//!    then prepend the lead-in and encode (`encode.rs`).
//!
//! Everything is synchronous and CPU-bound; async callers run
//! [`process_cancellable`] in `tokio::task::spawn_blocking` and set its flag
//! when they stop waiting, so the work stops with them.

mod checks;
mod content;
mod decode;
mod dsp;
mod encode;
mod error;
mod probe;
mod resample;
#[cfg(test)]
mod tests;

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

pub use error::AudioError;
pub use probe::{InputFormat, probe_format};

/// Sample rate of every processed prompt: narrowband telephony.
pub const OUTPUT_SAMPLE_RATE: u32 = 8_000;
/// Silence put in front of every prompt, not counted in [`Processed::duration`].
pub const LEAD_IN: Duration = Duration::from_millis(250);
/// Loudness every prompt is brought to (RMS, dB relative to full scale).
/// −20 dBFS leaves speech peaks (typically 12–18 dB above RMS) room under
/// the ceiling, so the limiter rarely has to act.
pub const TARGET_RMS_DBFS: f32 = -20.0;
/// No output sample exceeds this (−1 dBFS ≈ 0.89 of full scale), leaving
/// margin for gateways that transcode to µ-law/A-law.
pub const PEAK_CEILING_DBFS: f32 = -1.0;
/// Fade-in and fade-out at the edges of the speech, against clicks.
const FADE: Duration = Duration::from_millis(5);

/// What an upload must satisfy to become a prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioLimits {
    /// Longest recording accepted (default 120 s). Checked against the
    /// declared length before decoding, and enforced while decoding.
    pub max_duration: Duration,
    /// A recording whose RMS level in the telephone band is below this is
    /// refused as silent (default −50 dBFS: below a quiet room's noise on a
    /// phone mic; bringing it to the target would take more than 30 dB of
    /// gain, which would mostly amplify noise).
    pub silence_rms_dbfs: f32,
    /// A recording whose loudest sample in the telephone band is below this
    /// is refused as silent (default −40 dBFS: speech that never once comes
    /// within 40 dB of full scale was not recorded at a usable level).
    pub silence_peak_dbfs: f32,
    /// A recording with more than this share (0.0–1.0) of its samples in
    /// runs at full scale is refused as clipped (default 0.01, i.e. 1 %).
    /// Clean speech has next to none; a clipped recording has many.
    pub max_clipped_fraction: f32,
    /// A recording with less sound than this (not counting silence) is
    /// refused as too short (default 250 ms: a click or a clip cut off after
    /// a few milliseconds has far less; the shortest prompts, one-syllable
    /// place names such as "Goa", have about 300 ms, espeak-ng's too).
    pub min_sound: Duration,
    /// A recording whose loud frames have a median spectral flatness above
    /// this (0–1) is refused as noise (default 0.4). Measured: white noise
    /// and random bytes 0.54–0.58, pink noise 0.46, speech 0.01–0.07, speech
    /// with white noise 10 dB below it 0.22–0.31, 5 dB below 0.49.
    pub max_noise_flatness: f32,
    /// A recording with less than this share (0–1) of its loud frames'
    /// energy in 300–3400 Hz is refused as hum (default 0.1). Measured:
    /// espeak-ng's voices 0.72–0.93, brown noise (rumble) 0.05, a 50 or
    /// 100 Hz hum 0.0001.
    pub min_speech_band_share: f32,
}

impl Default for AudioLimits {
    fn default() -> Self {
        Self {
            max_duration: Duration::from_secs(120),
            silence_rms_dbfs: -50.0,
            silence_peak_dbfs: -40.0,
            max_clipped_fraction: 0.01,
            min_sound: Duration::from_millis(250),
            max_noise_flatness: 0.4,
            min_speech_band_share: 0.1,
        }
    }
}

/// A prompt ready for the gateways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// 8 kHz mono 16-bit PCM WAV: [`LEAD_IN`] of silence, then the speech.
    pub wav: Vec<u8>,
    /// Length of the speech, without the lead-in.
    pub duration: Duration,
    /// The upload's container: `"wav"`, `"mp3"`, `"ogg"` or `"flac"`.
    pub original_format: &'static str,
    /// Lower-case hex SHA-256 of `wav`.
    pub sha256: String,
}

/// Checks an uploaded recording and converts it to a prompt (see the module
/// docs for the steps). Synchronous and CPU-bound: from async code, call
/// [`process_cancellable`] inside `spawn_blocking`.
pub fn process(bytes: &[u8], limits: &AudioLimits) -> Result<Processed, AudioError> {
    process_cancellable(bytes, limits, &AtomicBool::new(false))
}

/// As [`process`], stopping with [`AudioError::Cancelled`] soon after
/// `cancel` is set (between decoded packets, and between steps).
pub fn process_cancellable(bytes: &[u8], limits: &AudioLimits, cancel: &AtomicBool) -> Result<Processed, AudioError> {
    let format = probe_format(bytes).ok_or(AudioError::NotAudio)?;
    let decoded = decode_guarded(bytes, format, limits.max_duration, cancel)?;
    check_decoded(&decoded, limits)?;
    let mut mono = decoded.mono;
    dsp::remove_dc(&mut mono);
    check_cancel(cancel)?;
    let mut speech = resample::resample(&mono, decoded.sample_rate, OUTPUT_SAMPLE_RATE);
    check_cancel(cancel)?;
    check_not_silent(&speech, limits)?;
    check_content(&speech, limits)?;
    dsp::normalise(&mut speech, OUTPUT_SAMPLE_RATE, TARGET_RMS_DBFS, PEAK_CEILING_DBFS);
    dsp::fade_edges(&mut speech, samples_in(FADE));
    let wav = encode::wav(&speech, samples_in(LEAD_IN), OUTPUT_SAMPLE_RATE)?;
    let duration = Duration::from_secs_f64(speech.len() as f64 / f64::from(OUTPUT_SAMPLE_RATE));
    tracing::debug!(format = format.as_str(), ?duration, bytes = wav.len(), "prompt audio processed");
    Ok(Processed { sha256: encode::sha256_hex(&wav), wav, duration, original_format: format.as_str() })
}

/// Length and clipping, judged on the decoded recording.
fn check_decoded(decoded: &decode::Decoded, limits: &AudioLimits) -> Result<(), AudioError> {
    let length = decoded.duration();
    if length > limits.max_duration {
        return Err(AudioError::TooLong { length: Some(length), max: limits.max_duration });
    }
    if decoded.clipped_fraction > limits.max_clipped_fraction {
        return Err(AudioError::Clipped { percent: decoded.clipped_fraction * 100.0 });
    }
    Ok(())
}

/// Silence, judged on the telephone-band signal.
fn check_not_silent(speech: &[f32], limits: &AudioLimits) -> Result<(), AudioError> {
    let level = checks::level(speech);
    if level.rms_dbfs < limits.silence_rms_dbfs || level.peak_dbfs < limits.silence_peak_dbfs {
        return Err(AudioError::Silent { rms_dbfs: level.rms_dbfs });
    }
    Ok(())
}

/// Decodes, turning a panic in a decoder (a crafted file finding a bug in
/// it) into a refusal of the file rather than a failed request.
fn decode_guarded(
    bytes: &[u8],
    format: InputFormat,
    max_duration: Duration,
    cancel: &AtomicBool,
) -> Result<decode::Decoded, AudioError> {
    catch_unwind(AssertUnwindSafe(|| decode::decode(bytes, format, max_duration, cancel))).unwrap_or_else(|_| {
        Err(AudioError::Undecodable { format: format.as_str(), detail: "the decoder panicked".to_owned() })
    })
}

fn check_cancel(cancel: &AtomicBool) -> Result<(), AudioError> {
    if cancel.load(Ordering::Relaxed) { Err(AudioError::Cancelled) } else { Ok(()) }
}

/// Enough sound, and sound that is neither noise nor hum, judged on the
/// telephone-band signal.
fn check_content(speech: &[f32], limits: &AudioLimits) -> Result<(), AudioError> {
    let content = content::analyse(speech, OUTPUT_SAMPLE_RATE, limits.silence_rms_dbfs);
    tracing::debug!(?content, "prompt audio content");
    if content.sound < limits.min_sound {
        return Err(AudioError::TooShort { sound: content.sound, min: limits.min_sound });
    }
    if content.speech_band_share < limits.min_speech_band_share {
        return Err(AudioError::Hum { speech_band_percent: content.speech_band_share * 100.0 });
    }
    if content.flatness > limits.max_noise_flatness {
        return Err(AudioError::Noise { flatness: content.flatness });
    }
    Ok(())
}

/// Whole output samples in `length`.
fn samples_in(length: Duration) -> usize {
    (length.as_secs_f64() * f64::from(OUTPUT_SAMPLE_RATE)).round() as usize
}
