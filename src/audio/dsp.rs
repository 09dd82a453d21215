//! Level processing for telephone prompts: DC removal, loudness
//! normalisation with a peak limiter, and short fades. (Resampling is in
//! `resample.rs`.)
//!
//! **Loudness.** Every prompt is brought to the same RMS level, so callers
//! do not reach for the volume between prompts. Where that gain would push a
//! peak past the ceiling, a look-ahead limiter turns the gain down around that
//! peak only (1 ms attack, 50 ms release), so the output never clips while the
//! rest keeps the target level.

use super::checks::{from_dbfs, level};

/// Subtracts the mean, so a DC offset neither counts as sound nor eats
/// headroom.
pub(crate) fn remove_dc(samples: &mut [f32]) {
    if samples.is_empty() {
        return;
    }
    let mean = (samples.iter().map(|&s| f64::from(s)).sum::<f64>() / samples.len() as f64) as f32;
    samples.iter_mut().for_each(|s| *s -= mean);
}

/// Scales `samples` to `target_rms_dbfs`, then limits peaks to
/// `ceiling_dbfs`. Silence is returned unchanged.
pub(crate) fn normalise(samples: &mut [f32], sample_rate: u32, target_rms_dbfs: f32, ceiling_dbfs: f32) {
    let measured = level(samples);
    if measured.peak_dbfs <= -200.0 {
        return;
    }
    let gain = from_dbfs(target_rms_dbfs - measured.rms_dbfs);
    samples.iter_mut().for_each(|s| *s *= gain);
    limit_peaks(samples, sample_rate, from_dbfs(ceiling_dbfs));
}

/// Look-ahead peak limiter. The gain needed at each sample (≤ 1) is spread
/// backwards over the attack time and forwards over the release time, never
/// rising above what a sample needs, so no sample exceeds `ceiling`.
fn limit_peaks(samples: &mut [f32], sample_rate: u32, ceiling: f32) {
    const ATTACK_SECS: f32 = 0.001;
    const RELEASE_SECS: f32 = 0.050;
    let mut gain: Vec<f32> = samples.iter().map(|s| if s.abs() > ceiling { ceiling / s.abs() } else { 1.0 }).collect();
    if gain.iter().all(|&g| g >= 1.0) {
        return;
    }
    let release = smoothing(RELEASE_SECS, sample_rate);
    let attack = smoothing(ATTACK_SECS, sample_rate);
    for i in 1..gain.len() {
        gain[i] = gain[i].min(gain[i - 1] + (1.0 - gain[i - 1]) * release);
    }
    for i in (0..gain.len().saturating_sub(1)).rev() {
        gain[i] = gain[i].min(gain[i + 1] + (1.0 - gain[i + 1]) * attack);
    }
    for (s, g) in samples.iter_mut().zip(gain) {
        *s = (*s * g).clamp(-ceiling, ceiling);
    }
}

/// Per-sample recovery factor of a one-pole smoother with time constant `secs`.
fn smoothing(secs: f32, sample_rate: u32) -> f32 {
    1.0 - (-1.0 / (secs * sample_rate as f32)).exp()
}

/// Linear fade-in and fade-out over `len` samples each (shortened for very
/// short signals), so the prompt neither starts nor stops with a click.
pub(crate) fn fade_edges(samples: &mut [f32], len: usize) {
    let len = len.min(samples.len() / 2);
    let n = samples.len();
    for i in 0..len {
        let g = i as f32 / len as f32;
        samples[i] *= g;
        samples[n - 1 - i] *= g;
    }
}
