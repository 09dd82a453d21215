//! Measurements that decide whether a recording is fit to be a prompt:
//! how loud it is (silence) and how much of it is flattened at full scale
//! (clipping).
//!
//! Clipping is judged on the decoded samples of each channel before anything
//! else touches them: mixing, filtering and resampling all smooth the flat
//! tops away. A clipped recording shows *runs* of consecutive samples at full
//! scale; a clean loud recording touches full scale only at isolated peaks,
//! so counting samples in runs (not single peaks) tells the two apart.

/// A sample at or above this magnitude counts as "at full scale". Just under
/// 1.0 so that 8-bit (127/128) and lossy-decoded clipping (which ripples a
/// little around the flat top) are caught too.
pub(crate) const NEAR_FULL_SCALE: f32 = 0.99;

/// Consecutive near-full-scale samples of one sign needed to call it a
/// clipped run rather than a peak that happens to touch the top.
pub(crate) const MIN_CLIPPED_RUN: u32 = 3;

/// Counts samples that sit in clipped runs, per channel, as samples stream
/// out of the decoder.
#[derive(Debug)]
pub(crate) struct ClipCounter {
    /// Per channel: the sign and length of the current near-full-scale run.
    runs: Vec<(bool, u32)>,
    clipped: u64,
    total: u64,
}

impl ClipCounter {
    pub(crate) fn new(channels: usize) -> Self {
        Self { runs: vec![(false, 0); channels.max(1)], clipped: 0, total: 0 }
    }

    /// Records one sample of `channel` (out-of-range channels are ignored).
    pub(crate) fn push(&mut self, channel: usize, sample: f32) {
        let Some(run) = self.runs.get_mut(channel) else { return };
        self.total += 1;
        let positive = sample > 0.0;
        let at_top = sample.abs() >= NEAR_FULL_SCALE;
        if at_top && (run.1 == 0 || run.0 == positive) {
            *run = (positive, run.1 + 1);
            return;
        }
        self.clipped += run_weight(run.1);
        *run = if at_top { (positive, 1) } else { (false, 0) };
    }

    /// The share (0.0–1.0) of all samples that were in clipped runs.
    pub(crate) fn fraction(&self) -> f32 {
        let open: u64 = self.runs.iter().map(|run| run_weight(run.1)).sum();
        if self.total == 0 { 0.0 } else { ((self.clipped + open) as f64 / self.total as f64) as f32 }
    }
}

/// How many samples a finished run of `len` contributes to the clipped count.
fn run_weight(len: u32) -> u64 {
    if len >= MIN_CLIPPED_RUN { u64::from(len) } else { 0 }
}

/// The level of a signal, in dB relative to full scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Level {
    pub rms_dbfs: f32,
    pub peak_dbfs: f32,
}

/// The RMS and peak level of `samples` (−∞ dBFS is reported as −200).
pub(crate) fn level(samples: &[f32]) -> Level {
    let (sum_squares, peak) =
        samples.iter().fold((0.0f64, 0.0f32), |(sum, peak), &s| (sum + f64::from(s) * f64::from(s), peak.max(s.abs())));
    let rms = if samples.is_empty() { 0.0 } else { (sum_squares / samples.len() as f64).sqrt() };
    Level { rms_dbfs: to_dbfs(rms as f32), peak_dbfs: to_dbfs(peak) }
}

/// Amplitude (1.0 = full scale) to dBFS, floored at −200.
pub(crate) fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude > 1e-10 { 20.0 * amplitude.log10() } else { -200.0 }
}

/// dBFS to amplitude.
pub(crate) fn from_dbfs(dbfs: f32) -> f32 {
    10f32.powf(dbfs / 20.0)
}
