//! Tests for the prompt audio pipeline, one submodule per concern; the
//! helpers that make and read back audio are here. WAV inputs are generated
//! with hound; MP3, Ogg Vorbis and FLAC come from `tests/fixtures/audio/`
//! (made with sox, see the README there).

use std::{f32::consts::PI, io::Cursor, time::Duration};

use super::*;

mod content;
mod conversion;
mod damage;
mod limits;

const FIXTURE_SECS: f32 = 1.5;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/audio/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A 16-bit WAV of interleaved `samples` (full scale ±1.0).
fn wav_of(samples: &[f32], rate: u32, channels: u16) -> Vec<u8> {
    let spec =
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut bytes = Vec::new();
    let mut writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
    for &s in samples {
        writer.write_sample((s * 32767.0).round().clamp(-32768.0, 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
    bytes
}

/// Mono samples of a sum of sines `(frequency, amplitude)`.
fn tones(parts: &[(f32, f32)], secs: f32, rate: u32) -> Vec<f32> {
    let n = (secs * rate as f32).round() as usize;
    (0..n).map(|i| parts.iter().map(|&(f, a)| a * (2.0 * PI * f * i as f32 / rate as f32).sin()).sum()).collect()
}

/// Duplicates each mono sample into `channels` channels.
fn interleave(mono: &[f32], channels: usize) -> Vec<f32> {
    mono.iter().flat_map(|&s| std::iter::repeat_n(s, channels)).collect()
}

/// Reads a processed WAV back, asserting it is 8 kHz mono 16-bit PCM.
fn read_back(wav: &[u8]) -> Vec<i16> {
    let mut reader = hound::WavReader::new(Cursor::new(wav)).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample, spec.sample_format),
        (8000, 1, 16, hound::SampleFormat::Int)
    );
    reader.samples::<i16>().map(Result::unwrap).collect()
}

/// The samples after the lead-in, as floats.
fn speech_of(wav: &[u8]) -> Vec<f32> {
    read_back(wav)[2000..].iter().map(|&s| f32::from(s) / 32768.0).collect()
}

fn rms_dbfs(samples: &[f32]) -> f32 {
    checks::level(samples).rms_dbfs
}

/// Power of `samples` at `freq` (Goertzel), normalised by length.
fn power_at(samples: &[f32], rate: u32, freq: f32) -> f64 {
    let w = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(rate);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + 2.0 * w.cos() * s1 - s2;
        (s2, s1) = (s1, s0);
    }
    (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2) / (samples.len() as f64).powi(2)
}

fn process_default(bytes: &[u8]) -> Result<Processed, AudioError> {
    process(bytes, &AudioLimits::default())
}

/// Asserts a converted fixture: telephone format, format name, duration
/// within 1 % of the true tone length, lead-in, target loudness.
fn assert_converted(bytes: &[u8], format: &str, true_secs: f32) {
    let out = process_default(bytes).unwrap_or_else(|e| panic!("{format}: {e:?}"));
    let samples = read_back(&out.wav);
    assert_eq!(out.original_format, format);
    let secs = out.duration.as_secs_f32();
    assert!((secs - true_secs).abs() <= true_secs * 0.01, "{format}: {secs} s vs {true_secs} s");
    assert_eq!(samples.len(), 2000 + (secs * 8000.0).round() as usize, "{format}: duration matches the WAV");
    assert!(samples[..2000].iter().all(|&s| s == 0), "{format}: lead-in is silent");
    let level = rms_dbfs(&speech_of(&out.wav));
    assert!((level - TARGET_RMS_DBFS).abs() < 1.0, "{format}: {level} dBFS");
    assert!(peak(&samples) <= ceiling(), "{format}: peak {}", peak(&samples));
}

/// The ceiling as a 16-bit magnitude.
fn ceiling() -> u16 {
    (checks::from_dbfs(PEAK_CEILING_DBFS) * 32767.0).ceil() as u16
}

fn peak(samples: &[i16]) -> u16 {
    samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
}
