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
//! 2. Decode (`decode.rs`): the declared length is checked before decoding,
//!    and decoding stops at the limit, so a lying header cannot make us
//!    allocate hours of samples. Channels are mixed to mono on the fly;
//!    clipping is counted per channel first, since mixing would hide it.
//! 3. Refuse empty, too long and clipped recordings.
//! 4. Remove DC, then low-pass and resample to 8 kHz in one step
//!    (`resample.rs`): rodio's resampler does not filter and would alias.
//! 5. Refuse silence, judged on the 8 kHz signal, i.e. on what a caller
//!    would actually hear (a file holding only ultrasonic noise is silent).
//! 6. Normalise loudness with a peak limiter and fade the edges (`dsp.rs`),
//!    then prepend the lead-in and encode (`encode.rs`).
//!
//! Everything is synchronous and CPU-bound; async callers run [`process`] in
//! `tokio::task::spawn_blocking`.

mod checks;
mod decode;
mod dsp;
mod encode;
mod error;
mod probe;
mod resample;
#[cfg(test)]
mod tests;

use std::time::Duration;

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
}

impl Default for AudioLimits {
    fn default() -> Self {
        Self {
            max_duration: Duration::from_secs(120),
            silence_rms_dbfs: -50.0,
            silence_peak_dbfs: -40.0,
            max_clipped_fraction: 0.01,
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
/// docs for the steps). Synchronous and CPU-bound: from async code, call it
/// inside `spawn_blocking`.
pub fn process(bytes: &[u8], limits: &AudioLimits) -> Result<Processed, AudioError> {
    let format = probe_format(bytes).ok_or(AudioError::NotAudio)?;
    let decoded = decode::decode(bytes, format, limits.max_duration)?;
    check_decoded(&decoded, limits)?;
    let mut mono = decoded.mono;
    dsp::remove_dc(&mut mono);
    let mut speech = resample::resample(&mono, decoded.sample_rate, OUTPUT_SAMPLE_RATE);
    check_not_silent(&speech, limits)?;
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

/// Whole output samples in `length`.
fn samples_in(length: Duration) -> usize {
    (length.as_secs_f64() * f64::from(OUTPUT_SAMPLE_RATE)).round() as usize
}
