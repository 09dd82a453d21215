//! What a recording holds, judged on the telephone-band signal (after the
//! low-pass and resampling to 8 kHz, before its level is changed): how much
//! of it is sound rather than silence, whether that sound is noise, and
//! whether any of it is in the speech band at all.
//!
//! **Sound** is counted in 10 ms windows: a window is sound when it is above
//! the silence floor and within [`SOUND_RANGE_DB`] of the recording's loud
//! parts (its 95th-percentile window, so one click does not set the scale).
//! The gaps between words count as sound in a recording made in a noisy
//! room, which errs towards accepting.
//!
//! **Noise** is told from a voice by its spectral flatness: the geometric
//! over the arithmetic mean of the power spectrum of a 32 ms frame, between
//! 300 and 3400 Hz. A frame of white noise has the same power everywhere on
//! average, and its periodogram scores e^−γ ≈ 0.56 (pink noise ≈ 0.45); a
//! voiced sound is a comb of harmonics under formant peaks and scores a few
//! hundredths; a pure tone scores about zero. Only the loud frames are judged
//! (within [`LOUD_RANGE_DB`] of the loud parts), which in speech are the
//! vowels, so neither the pauses (room noise) nor the hissing consonants
//! (noise-like by nature) decide; the median of those frames is the score.
//! Random bytes played as 16-bit audio, the most common broken upload, are
//! white noise at full level.
//!
//! **Speech band**: the share of the loud frames' energy between 300 and
//! 3400 Hz. A voice's formants put much of its energy there (even a deep
//! voice, whose fundamental is below 300 Hz); a mains hum or a rumble has
//! next to none.
//!
//! A pure tone passes all three: it is not noise and may be in the speech
//! band. That is deliberate: the checks refuse what is broken (noise, hum,
//! clicks), not what is merely not speech, such as a chime or the test tones
//! the test suites upload; telling speech from a tone would take a voice
//! detector that is not worth its false refusals here.

use std::time::Duration;

use symphonia::core::dsp::{complex::Complex, fft::Fft};

use super::checks::to_dbfs;

/// Loudness range counted as sound, below the loud parts.
pub(crate) const SOUND_RANGE_DB: f32 = 35.0;
/// Loudness range of the frames judged for noise, below the loud parts.
pub(crate) const LOUD_RANGE_DB: f32 = 15.0;
/// Frame length of the spectral measures, in samples (32 ms at 8 kHz).
const FRAME: usize = 256;
/// The speech band of narrowband telephony.
const SPEECH_BAND_HZ: (f32, f32) = (300.0, 3400.0);
/// The percentile taken as "the loud parts".
const LOUD_PERCENTILE: f32 = 0.95;

/// The measures of one recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Content {
    /// How much of the recording is sound.
    pub sound: Duration,
    /// Median spectral flatness (0–1) of the loud frames in the speech band;
    /// 0 when no frame is long enough to judge.
    pub flatness: f32,
    /// Share (0–1) of the loud frames' energy in the speech band; 1 when no
    /// frame is long enough to judge.
    pub speech_band_share: f32,
}

/// Measures `samples` (mono, at `sample_rate`); windows quieter than
/// `floor_dbfs` are silence whatever the recording's level.
pub(crate) fn analyse(samples: &[f32], sample_rate: u32, floor_dbfs: f32) -> Content {
    let (flatness, speech_band_share) = spectrum(samples, sample_rate, floor_dbfs);
    Content { sound: sound(samples, sample_rate, floor_dbfs), flatness, speech_band_share }
}

/// The total length of the 10 ms windows that are sound.
fn sound(samples: &[f32], sample_rate: u32, floor_dbfs: f32) -> Duration {
    let window = (sample_rate as usize / 100).max(1);
    let levels: Vec<(f32, usize)> = samples.chunks(window).map(|w| (rms_dbfs(w), w.len())).collect();
    let threshold = threshold(levels.iter().map(|l| l.0), floor_dbfs, SOUND_RANGE_DB);
    let counted: usize = levels.iter().filter(|l| l.0 >= threshold).map(|l| l.1).sum();
    Duration::from_secs_f64(counted as f64 / f64::from(sample_rate))
}

/// Median flatness and speech-band share of the loud whole frames.
fn spectrum(samples: &[f32], sample_rate: u32, floor_dbfs: f32) -> (f32, f32) {
    let frames: Vec<&[f32]> = samples.chunks_exact(FRAME).collect();
    let threshold = threshold(frames.iter().map(|f| rms_dbfs(f)), floor_dbfs, LOUD_RANGE_DB);
    let analyser = Analyser::new(sample_rate);
    let (mut flatness, mut band, mut total) = (Vec::new(), 0.0f64, 0.0f64);
    for frame in frames.into_iter().filter(|f| rms_dbfs(f) >= threshold) {
        let power = analyser.power(frame);
        let in_band = &power[analyser.band.0..=analyser.band.1];
        flatness.push(spectral_flatness(in_band));
        band += in_band.iter().map(|&p| f64::from(p)).sum::<f64>();
        total += power[1..].iter().map(|&p| f64::from(p)).sum::<f64>();
    }
    if flatness.is_empty() || total <= 0.0 {
        return (0.0, 1.0);
    }
    (percentile(&mut flatness, 0.5), (band / total) as f32)
}

/// The level at or above which a window counts: within `range_db` of the
/// loud parts, and never below the floor.
fn threshold(levels: impl Iterator<Item = f32>, floor_dbfs: f32, range_db: f32) -> f32 {
    let mut levels: Vec<f32> = levels.collect();
    if levels.is_empty() {
        return floor_dbfs;
    }
    (percentile(&mut levels, LOUD_PERCENTILE) - range_db).max(floor_dbfs)
}

/// Geometric over arithmetic mean; 0 for an empty or silent band.
fn spectral_flatness(power: &[f32]) -> f32 {
    // Below this a bin is numerically silent: it must not drag the
    // geometric mean to zero (a digital-silence bin next to noise).
    const TINY: f64 = 1e-20;
    if power.is_empty() {
        return 0.0;
    }
    let n = power.len() as f64;
    let mean = power.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
    if mean <= TINY {
        return 0.0;
    }
    let log_mean = power.iter().map(|&p| f64::from(p).max(TINY).ln()).sum::<f64>() / n;
    (log_mean.exp() / mean) as f32
}

/// The value at `q` (0–1) of `values`, which it sorts.
fn percentile(values: &mut [f32], q: f32) -> f32 {
    values.sort_by(f32::total_cmp);
    let index = ((values.len() - 1) as f32 * q).round() as usize;
    values[index.min(values.len() - 1)]
}

fn rms_dbfs(samples: &[f32]) -> f32 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    to_dbfs((sum / samples.len().max(1) as f64).sqrt() as f32)
}

/// A Hann-windowed FFT of one frame.
struct Analyser {
    fft: Fft,
    window: Vec<f32>,
    /// First and last bin of the speech band.
    band: (usize, usize),
}

impl Analyser {
    fn new(sample_rate: u32) -> Self {
        let window =
            (0..FRAME).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / FRAME as f32).cos()).collect();
        let bin_hz = sample_rate as f32 / FRAME as f32;
        let bin = |hz: f32| ((hz / bin_hz).round() as usize).clamp(1, FRAME / 2);
        Self { fft: Fft::new(FRAME), window, band: (bin(SPEECH_BAND_HZ.0), bin(SPEECH_BAND_HZ.1)) }
    }

    /// Power in bins 0 to `FRAME / 2`.
    fn power(&self, frame: &[f32]) -> Vec<f32> {
        let mut x: Vec<Complex> = frame.iter().zip(&self.window).map(|(&s, &w)| Complex::new(s * w, 0.0)).collect();
        self.fft.fft_inplace(&mut x);
        x[..=FRAME / 2].iter().map(|c| c.re * c.re + c.im * c.im).collect()
    }
}
