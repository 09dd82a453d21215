//! Decoding an upload to mono samples with rodio (Symphonia underneath),
//! never holding more than the duration limit allows.
//!
//! Length is checked twice. First from what the file declares (the WAV
//! `data` header we parse ourselves, FLAC's STREAMINFO, the last Ogg page),
//! so a file claiming hours is refused before decoding. Then while decoding:
//! decoding stops one frame past the limit, so a file that lies (or, like
//! most MP3s, declares nothing exact) cannot make us allocate more than
//! `max_duration` of mono samples.
//!
//! Channels are mixed down as frames arrive (the interleaved multichannel
//! signal is never stored), and clipping is counted per channel on the way,
//! because mixing would hide it.
//!
//! We iterate the decoder directly rather than through rodio's
//! `UniformSourceIterator`, which yields no samples for Ogg Vorbis (its first
//! span reports length 0) and whose resampler does not filter.

use std::{io::Cursor, ops::RangeInclusive, time::Duration};

use rodio::{Decoder, Source};

use super::{
    AudioError,
    checks::ClipCounter,
    probe::{self, InputFormat, WavHeader},
};

/// Sample rates accepted from uploads. Below 4 kHz is not speech-grade;
/// above 192 kHz is not a real recording, and would let a tiny losslessly
/// compressed file expand to a very large buffer within the duration limit.
pub(crate) const ACCEPTED_SAMPLE_RATES: RangeInclusive<u32> = 4_000..=192_000;

/// A decoded upload: the mono mix at its own sample rate.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub mono: Vec<f32>,
    pub sample_rate: u32,
    /// Share of samples (all channels) in clipped runs, 0.0–1.0.
    pub clipped_fraction: f32,
}

impl Decoded {
    pub(crate) fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.mono.len() as f64 / f64::from(self.sample_rate))
    }
}

/// Decodes `bytes` (already recognised as `format`) to mono, refusing files
/// longer than `max_duration`.
pub(crate) fn decode(bytes: &[u8], format: InputFormat, max_duration: Duration) -> Result<Decoded, AudioError> {
    if format == InputFormat::Wav {
        check_wav_header(bytes, max_duration)?;
    }
    let decoder = Decoder::builder()
        .with_data(Cursor::new(bytes.to_vec()))
        .with_hint(format.as_str())
        .with_byte_len(bytes.len() as u64)
        .build()
        .map_err(|e| undecodable(format, e.to_string()))?;
    let sample_rate = decoder.sample_rate().get();
    if !ACCEPTED_SAMPLE_RATES.contains(&sample_rate) {
        return Err(AudioError::UnsupportedSampleRate { rate: sample_rate });
    }
    let declared = declared_length(&decoder, format);
    check_declared(declared, max_duration)?;
    let mut decoded = mix_down(decoder, max_duration)?;
    if decoded.mono.is_empty() {
        return Err(AudioError::Empty);
    }
    if let Some(declared) = declared {
        let frames = (declared.as_secs_f64() * f64::from(sample_rate)).round() as usize;
        decoded.mono.truncate(frames.max(1));
    }
    Ok(decoded)
}

/// The exact length the container declares, where it is exact: FLAC's
/// STREAMINFO sample count and the final Ogg page's granule position.
///
/// Ogg Vorbis decodes up to a block (~20 ms) past the declared end (the
/// encoder's padding, which Symphonia does not trim here), so the declared
/// length is also where decoding is cut. MP3 is left out: without a Xing/LAME
/// header its length is only estimated from the bitrate, which for a VBR file
/// can be far off (Symphonia already trims padding when the LAME header says
/// how much). WAV is checked from our own header parse, as Symphonia takes
/// streaming placeholder lengths at face value.
fn declared_length<S: Source>(decoder: &S, format: InputFormat) -> Option<Duration> {
    match format {
        InputFormat::Ogg | InputFormat::Flac => decoder.total_duration(),
        InputFormat::Mp3 | InputFormat::Wav => None,
    }
}

fn check_wav_header(bytes: &[u8], max_duration: Duration) -> Result<(), AudioError> {
    match probe::wav_header(bytes) {
        WavHeader::Declared(length) => check_declared(Some(length), max_duration),
        WavHeader::Unknown => Ok(()),
        WavHeader::Damaged(reason) => Err(undecodable(InputFormat::Wav, reason.to_owned())),
    }
}

fn check_declared(declared: Option<Duration>, max: Duration) -> Result<(), AudioError> {
    match declared {
        Some(length) if length > max => Err(AudioError::TooLong { length: Some(length), max }),
        _ => Ok(()),
    }
}

/// The most mono frames a recording within the limit can have.
fn max_frames(max_duration: Duration, sample_rate: u32) -> usize {
    (max_duration.as_secs_f64() * f64::from(sample_rate)).ceil() as usize
}

/// Averages each interleaved frame into one sample, counting clipping per
/// channel, and stops with [`AudioError::TooLong`] one frame past
/// `max_duration`. A trailing partial frame is dropped.
fn mix_down<S: Source>(source: S, max_duration: Duration) -> Result<Decoded, AudioError> {
    let sample_rate = source.sample_rate().get();
    let max_frames = max_frames(max_duration, sample_rate);
    let channels = usize::from(source.channels().get());
    let mut clips = ClipCounter::new(channels);
    let mut mono = Vec::new();
    let (mut sum, mut channel) = (0.0f32, 0usize);
    for sample in source {
        // NaN or infinity can only come from a damaged float WAV; treat as silence.
        let sample = if sample.is_finite() { sample } else { 0.0 };
        clips.push(channel, sample);
        sum += sample;
        channel += 1;
        if channel < channels {
            continue;
        }
        if mono.len() == max_frames {
            return Err(AudioError::TooLong { length: None, max: max_duration });
        }
        mono.push(sum / channels as f32);
        (sum, channel) = (0.0, 0);
    }
    Ok(Decoded { mono, sample_rate, clipped_fraction: clips.fraction() })
}

fn undecodable(format: InputFormat, detail: String) -> AudioError {
    AudioError::Undecodable { format: format.as_str(), detail }
}
