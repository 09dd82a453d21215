//! Band-limited resampling to 8 kHz: the low-pass comes first.
//!
//! rodio's converter interpolates linearly and drops samples, so everything
//! between 4 kHz and the input's Nyquist (sibilants, hiss, a 6 kHz whine)
//! would fold back into the telephone band as aliasing. Here each output
//! sample is the input convolved with a Kaiser-windowed sinc low-pass (flat to
//! 3.4 kHz, designed for 80 dB down from 4 kHz, the new Nyquist) evaluated at
//! the output instant. That is exactly "low-pass FIR, then sample", but only
//! the samples kept are computed: 8 000 dot products per second of audio
//! instead of one per input sample.
//!
//! The kernel is tabulated once per call as a polyphase bank: its taps at
//! 129 sub-sample positions (0, 1/128, …, 1 of an input sample). An output
//! between two positions is the linear blend of the two neighbouring dot
//! products, so the inner loop is two contiguous multiply-adds and no
//! trigonometry.

use std::f64::consts::PI;

/// Stop-band attenuation the filter is designed for, in dB.
const STOPBAND_ATTENUATION_DB: f64 = 80.0;
/// Pass band as a share of the lower of the two Nyquist frequencies:
/// 0.85 × 4 kHz = 3.4 kHz, the top of the traditional telephone band.
const PASSBAND_SHARE: f64 = 0.85;
/// Sub-sample positions tabulated per input sample.
const PHASES: usize = 128;

/// Resamples mono `input` from `from` Hz to `to` Hz through a low-pass below
/// the lower of the two Nyquist frequencies. Output length is
/// `ceil(len × to / from)`; samples before and after the input count as
/// silence.
pub(crate) fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if input.is_empty() || from == 0 || to == 0 {
        return Vec::new();
    }
    let bank = FilterBank::new(from, to);
    let step = f64::from(from) / f64::from(to);
    let out_len = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    (0..out_len).map(|n| bank.sample_at(input, n as f64 * step)).collect()
}

/// The low-pass kernel as a polyphase bank, in units of input samples.
struct FilterBank {
    /// `taps[p][j]` weighs input `m − half + 1 + j` for an output at
    /// `m + p / PHASES`; `p` runs from 0 to `PHASES` inclusive.
    taps: Vec<Vec<f32>>,
    /// Inputs used on each side of the output instant.
    half: usize,
}

impl FilterBank {
    fn new(from: u32, to: u32) -> Self {
        let nyquist = f64::from(from.min(to)) / 2.0;
        let (pass, stop) = (nyquist * PASSBAND_SHARE, nyquist);
        // In cycles per input sample.
        let cutoff = (pass + stop) / 2.0 / f64::from(from);
        let transition = (stop - pass) / f64::from(from);
        // Kaiser's design formulas for the length and the window's shape.
        let length = (STOPBAND_ATTENUATION_DB - 8.0) / (2.285 * 2.0 * PI * transition);
        let beta = 0.1102 * (STOPBAND_ATTENUATION_DB - 8.7);
        let half_width = length / 2.0;
        let kernel = |d: f64| 2.0 * cutoff * sinc(2.0 * cutoff * d) * kaiser(d / half_width, beta);
        let half = half_width.ceil() as usize;
        let taps = (0..=PHASES)
            .map(|p| {
                let phase = p as f64 / PHASES as f64;
                (0..2 * half).map(|j| kernel(phase + half as f64 - 1.0 - j as f64) as f32).collect()
            })
            .collect();
        Self { taps, half }
    }

    /// The low-passed input at fractional input position `t` (≥ 0).
    fn sample_at(&self, input: &[f32], t: f64) -> f32 {
        let m = t.floor();
        let pos = (t - m) * PHASES as f64;
        let p = (pos as usize).min(PHASES - 1);
        let frac = (pos - p as f64) as f32;
        // Tap 0 falls on input `m − half + 1`, which may be before the start.
        let first = m as i64 - self.half as i64 + 1;
        let skip = usize::try_from(-first).unwrap_or(0);
        let start = usize::try_from(first).unwrap_or(0);
        let count = (2 * self.half).saturating_sub(skip).min(input.len().saturating_sub(start));
        let Some(x) = input.get(start..start + count) else { return 0.0 };
        let (below, above) = (&self.taps[p][skip..skip + count], &self.taps[p + 1][skip..skip + count]);
        let (a, b) = (dot(x, below), dot(x, above));
        a + (b - a) * frac
    }
}

/// Dot product with eight independent partial sums, which the compiler
/// keeps in SIMD registers; indexing fixed-size chunks keeps unoptimised
/// (test) builds fast too.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut l = [0.0f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let rest: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        let (Ok(x), Ok(y)) = (<&[f32; 8]>::try_from(x), <&[f32; 8]>::try_from(y)) else { continue };
        l[0] += x[0] * y[0];
        l[1] += x[1] * y[1];
        l[2] += x[2] * y[2];
        l[3] += x[3] * y[3];
        l[4] += x[4] * y[4];
        l[5] += x[5] * y[5];
        l[6] += x[6] * y[6];
        l[7] += x[7] * y[7];
    }
    (l[0] + l[4]) + (l[1] + l[5]) + (l[2] + l[6]) + (l[3] + l[7]) + rest
}

/// sin(πx)/(πx).
fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 { 1.0 } else { (PI * x).sin() / (PI * x) }
}

/// The Kaiser window at `x` ∈ [−1, 1] (0 outside).
fn kaiser(x: f64, beta: f64) -> f64 {
    if x.abs() >= 1.0 { 0.0 } else { bessel_i0(beta * (1.0 - x * x).sqrt()) / bessel_i0(beta) }
}

/// The modified Bessel function of the first kind, order 0, by its series.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > sum * 1e-12 {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
    }
    sum
}
