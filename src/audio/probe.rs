//! Recognising an upload from its first bytes, before any decoder sees it.
//!
//! The magic numbers answer "is this audio at all?" cheaply and give the
//! format we report back (`original_format`). For WAV we also walk the RIFF
//! chunk headers: the `fmt ` and `data` headers say how long the recording
//! claims to be, so a header claiming hours is refused before a single sample
//! is decoded, and a chunk claiming more bytes than the file holds (which
//! would make the demuxer allocate that much up front) is refused as damaged.
//! A `data` chunk claiming more than the file holds is a file cut short.
//!
//! For Ogg we walk the pages: a file must end with a whole page that closes
//! its stream (the end-of-stream flag every encoder sets), else it was cut
//! off, which nothing in the decoded audio would show.

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
    /// The `data` chunk's declared length, converted to time, and whether
    /// the file holds all of it (`false`: the file was cut short).
    Declared { length: Duration, complete: bool },
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
            return data_duration(len, remaining, byte_rate);
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

fn data_duration(len: u32, remaining: usize, byte_rate: Option<u32>) -> WavHeader {
    let Some(byte_rate) = byte_rate else { return WavHeader::Damaged("no format chunk before the audio data") };
    if byte_rate == 0 {
        return WavHeader::Damaged("the format chunk gives a byte rate of zero");
    }
    if STREAMING_DATA_LENGTHS.contains(&len) {
        return WavHeader::Unknown;
    }
    let length = Duration::from_secs_f64(f64::from(len) / f64::from(byte_rate));
    WavHeader::Declared { length, complete: len as usize <= remaining }
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

/// How an Ogg file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OggEnd {
    /// The last page is whole and closes its stream.
    Complete,
    /// The last page is cut off, or the stream is never closed.
    Truncated,
    /// Something other than pages follows (junk the demuxer skips): not ours
    /// to judge.
    Unknown,
}

/// Page header: capture pattern, version, flags, granule position (8),
/// serial (4), sequence (4), checksum (4), segment count.
const OGG_HEADER_LEN: usize = 27;
/// The header-type flag of a stream's last page.
const OGG_END_OF_STREAM: u8 = 0x04;

/// Walks the Ogg pages from the start (cheap: only headers and segment
/// tables are read) to see whether the file ends as a finished stream does.
pub(crate) fn ogg_end(bytes: &[u8]) -> OggEnd {
    let (mut pos, mut last_flags) = (0usize, None);
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if !rest.starts_with(&b"OggS"[..rest.len().min(4)]) || rest.get(4).is_some_and(|&v| v != 0) {
            return OggEnd::Unknown;
        }
        let Some(header) = rest.get(..OGG_HEADER_LEN) else { return OggEnd::Truncated };
        let segments = usize::from(header[26]);
        let Some(table) = bytes.get(pos + OGG_HEADER_LEN..pos + OGG_HEADER_LEN + segments) else {
            return OggEnd::Truncated;
        };
        pos += OGG_HEADER_LEN + segments + table.iter().map(|&s| usize::from(s)).sum::<usize>();
        last_flags = Some(header[5]);
    }
    match last_flags {
        Some(flags) if pos == bytes.len() && flags & OGG_END_OF_STREAM != 0 => OggEnd::Complete,
        _ => OggEnd::Truncated,
    }
}
