//! Writing the result: 8 kHz mono 16-bit PCM WAV in memory, the one format
//! every gateway Sampark speaks plays without transcoding, and its SHA-256
//! in hex, so callers can tell whether a prompt's audio changed.

use std::io::Cursor;

use sha2::{Digest, Sha256};

/// Encodes `lead_in` samples of silence followed by `samples` (full scale
/// ±1.0) as a 16-bit mono WAV at `sample_rate`.
pub(crate) fn wav(samples: &[f32], lead_in: usize, sample_rate: u32) -> Result<Vec<u8>, hound::Error> {
    let spec =
        hound::WavSpec { channels: 1, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut bytes = Vec::with_capacity(44 + 2 * (lead_in + samples.len()));
    let mut writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec)?;
    for _ in 0..lead_in {
        writer.write_sample(0i16)?;
    }
    for &sample in samples {
        writer.write_sample(to_i16(sample))?;
    }
    writer.finalize()?;
    Ok(bytes)
}

/// Full scale ±1.0 to a 16-bit sample, rounded and clamped.
fn to_i16(sample: f32) -> i16 {
    (sample * f32::from(i16::MAX)).round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
