//! Recognising an upload from its first bytes, before any decoder sees it.
//!
//! The magic numbers answer "is this audio at all?" cheaply and give the
//! format we report back (`original_format`). For WAV we also walk the RIFF
//! chunk headers: the `fmt ` and `data` headers say how long the recording
//! claims to be, so a header claiming hours is refused before a single sample
//! is decoded, and a chunk claiming more bytes than the file holds (which
//! would make the demuxer allocate that much up front) is refused as damaged.

use std::time::Duration;

/// The containers Sampark accepts for prompt recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Wav,
    Mp3,
    Ogg,
    Flac,
}

impl InputFormat {
    /// The short name reported in [`super::Processed::original_format`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Ogg => "ogg",
            Self::Flac => "flac",
        }
    }
}

/// Recognises the container from its magic number; `None` for anything else
/// (text, images, documents, truncated uploads).
pub fn probe_format(bytes: &[u8]) -> Option<InputFormat> {
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some(InputFormat::Wav)
    } else if bytes.starts_with(b"OggS") {
        Some(InputFormat::Ogg)
    } else if bytes.starts_with(b"fLaC") {
        Some(InputFormat::Flac)
    } else if bytes.starts_with(b"ID3") || is_mpeg_audio_frame_header(bytes) {
        Some(InputFormat::Mp3)
    } else {
        None
    }
}

/// An MPEG audio frame header: 11 sync bits, then a version, layer, bitrate
/// and sample rate that are not the reserved/invalid values. Checking those
/// fields keeps random binary that happens to start with 0xFF out.
fn is_mpeg_audio_frame_header(bytes: &[u8]) -> bool {
    let [b0, b1, b2, ..] = *bytes else { return false };
    let sync = b0 == 0xFF && b1 & 0xE0 == 0xE0;
    let version_ok = (b1 >> 3) & 0b11 != 0b01;
    let layer_ok = (b1 >> 1) & 0b11 != 0b00;
    let bitrate_ok = b2 >> 4 != 0b1111;
    let rate_ok = (b2 >> 2) & 0b11 != 0b11;
    sync && version_ok && layer_ok && bitrate_ok && rate_ok
}

/// What the RIFF headers of a WAV file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WavHeader {
    /// The `data` chunk's declared length, converted to time.
    Declared(Duration),
    /// The length is a placeholder written by tools that stream a WAV before
    /// knowing its length (`ffmpeg` writes `0xFFFFFFFF`, `espeak-ng --stdout`
    /// `0x7FFFF000`); only the cap on decoded samples applies.
    Unknown,
    /// The headers are inconsistent with the file (a chunk larger than what
    /// follows it, no `fmt ` before `data`, a zero byte rate).
    Damaged(&'static str),
}

/// Placeholder data lengths written when the length is not known in advance.
const STREAMING_DATA_LENGTHS: [u32; 2] = [u32::MAX, 0x7FFF_F000];

/// Walks the chunk headers of a RIFF/WAVE file up to its `data` chunk.
/// Expects bytes that [`probe_format`] recognised as WAV.
pub(crate) fn wav_header(bytes: &[u8]) -> WavHeader {
    let mut pos = 12;
    let mut byte_rate = None;
    while let Some((id, len)) = chunk_header(bytes, pos) {
        let body = pos + 8;
        let remaining = bytes.len() - body;
        if &id == b"data" {
            return data_duration(len, byte_rate);
        }
        if len as usize > remaining {
            return WavHeader::Damaged("a header chunk is longer than the file");
        }
        if &id == b"fmt " {
            byte_rate = bytes.get(body + 8..body + 12).and_then(le_u32);
        }
        pos = body + len as usize + (len as usize & 1);
    }
    WavHeader::Damaged("no audio data chunk")
}

fn data_duration(len: u32, byte_rate: Option<u32>) -> WavHeader {
    let Some(byte_rate) = byte_rate else { return WavHeader::Damaged("no format chunk before the audio data") };
    if byte_rate == 0 {
        return WavHeader::Damaged("the format chunk gives a byte rate of zero");
    }
    if STREAMING_DATA_LENGTHS.contains(&len) {
        return WavHeader::Unknown;
    }
    WavHeader::Declared(Duration::from_secs_f64(f64::from(len) / f64::from(byte_rate)))
}

/// The id and declared length of the chunk at `pos`, if a whole chunk header fits.
fn chunk_header(bytes: &[u8], pos: usize) -> Option<([u8; 4], u32)> {
    let id = bytes.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
    let len = le_u32(bytes.get(pos + 4..pos.checked_add(8)?)?)?;
    Some((id, len))
}

/// A little-endian `u32` from exactly four bytes.
fn le_u32(word: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(word.try_into().ok()?))
}
