//! Decoding an upload to mono samples with Symphonia (the decoders rodio
//! uses), with a budget on the work, so that no file can make us allocate or
//! compute more than the duration limit allows.
//!
//! **Length** is checked twice. First from what the file declares (the WAV
//! `data` header we parse ourselves, FLAC's STREAMINFO, the last Ogg page,
//! an MP3's LAME header), so a file claiming hours is refused before
//! decoding. Then while decoding: decoding stops one frame past the limit.
//!
//! **Work** is bounded separately from the output, because the two can part
//! ways: a crafted MP3 whose header claims a few frames makes the decoder
//! trim everything after them, so packet after packet is decoded and thrown
//! away and the output never reaches the limit. rodio's iterator skips such
//! packets, and undecodable ones, in a loop of its own that we cannot bound
//! (a 30 MB file of this kind cost 7 s of CPU here and was accepted as a
//! 0.1 s prompt; the issue saw 53 s). So we drive the demuxer and decoder ourselves, one packet
//! at a time, and count every frame decoded before trimming: more than the
//! limit plus a margin is "too long", whatever the output. Compressed files
//! are also refused outright when they are larger than a recording of the
//! longest length can be at the format's highest bitrate. Between packets
//! we look at a cancellation flag, set when the upload's request is dropped
//! (it timed out), so no work outlives the request.
//!
//! **Damage**: a packet the decoder cannot decode, or a file that ends
//! before what its headers declare, is refused rather than skipped: a prompt
//! with a gap in it is worse than a prompt that asks for a new export.
//!
//! Channels are mixed down as frames arrive (the interleaved multichannel
//! signal is never stored), and clipping is counted per channel on the way,
//! because mixing would hide it.

use std::{
    io::Cursor,
    ops::RangeInclusive,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use symphonia::core::{
    audio::SampleBuffer,
    codecs::{CODEC_TYPE_NULL, CodecParameters, DecoderOptions},
    errors::Error as SymphoniaError,
    formats::{FormatOptions, FormatReader, Track},
    io::MediaSourceStream,
    meta::MetadataOptions,
    probe::Hint,
};

use super::{
    AudioError,
    checks::ClipCounter,
    probe::{self, InputFormat, OggEnd, WavHeader},
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
/// longer than `max_duration`, damaged or truncated ones, and stopping with
/// [`AudioError::Cancelled`] once `cancel` is set.
pub(crate) fn decode(
    bytes: &[u8],
    format: InputFormat,
    max_duration: Duration,
    cancel: &AtomicBool,
) -> Result<Decoded, AudioError> {
    check_size(bytes.len(), format, max_duration)?;
    if format == InputFormat::Wav {
        check_wav_header(bytes, max_duration)?;
    }
    let mut reader = open(bytes, format)?;
    // After opening, so that bytes that are not Ogg at all are "undecodable".
    if format == InputFormat::Ogg && probe::ogg_end(bytes) == OggEnd::Truncated {
        return Err(AudioError::Truncated { format: format.as_str() });
    }
    let track = audio_track(reader.as_ref()).ok_or_else(|| undecodable(format, "no audio track".to_owned()))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let sample_rate = params.sample_rate.ok_or_else(|| undecodable(format, "no sample rate".to_owned()))?;
    if !ACCEPTED_SAMPLE_RATES.contains(&sample_rate) {
        return Err(AudioError::UnsupportedSampleRate { rate: sample_rate });
    }
    let declared = declared_frames(&params, format);
    check_declared(declared.map(|frames| frames_to_duration(frames, sample_rate)), max_duration)?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| undecodable(format, e.to_string()))?;
    let mut mix = MixDown::new(sample_rate, max_duration);
    let mut work = Work::new(max_frames(max_duration, sample_rate));
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(AudioError::Cancelled);
        }
        let packet = match reader.next_packet() {
            Ok(packet) => packet,
            Err(e) if is_end_of_stream(&e) => break,
            Err(e) => return Err(undecodable(format, e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        work.spend(packet.dur + u64::from(packet.trim_start) + u64::from(packet.trim_end), max_duration)?;
        let buffer = decoder.decode(&packet).map_err(|e| undecodable(format, e.to_string()))?;
        mix.push(buffer, format, max_duration)?;
    }
    let decoded = mix.finish();
    if decoded.mono.is_empty() {
        return Err(AudioError::Empty);
    }
    fit_declared(decoded, declared, format)
}

/// Refuses a compressed file larger than a recording of `max_duration` can
/// be, before a decoder sees it.
fn check_size(bytes: usize, format: InputFormat, max_duration: Duration) -> Result<(), AudioError> {
    let Some(max_bytes) = max_input_bytes(format, max_duration) else { return Ok(()) };
    if bytes as u64 > max_bytes {
        return Err(AudioError::TooLarge {
            format: format.as_str(),
            bytes: bytes as u64,
            max_bytes,
            max: max_duration,
        });
    }
    Ok(())
}

/// Room for metadata (tags, cover art) on top of the audio itself.
const METADATA_ALLOWANCE: u64 = 2 * 1024 * 1024;

/// The largest file of `format` that can hold at most `max_duration` of
/// audio: the format's highest bitrate for that long, plus room for tags.
/// `None` for WAV and FLAC, whose size follows from their declared length
/// and sample format (checked from their headers instead).
fn max_input_bytes(format: InputFormat, max_duration: Duration) -> Option<u64> {
    // MPEG-1 Layer III tops out at 320 kbit/s (free format, which could go
    // higher, is not decoded). Vorbis has no hard ceiling, but its highest
    // quality at 48 kHz stereo is about 500 kbit/s.
    let bits_per_second: u64 = match format {
        InputFormat::Mp3 => 320_000,
        InputFormat::Ogg => 512_000,
        InputFormat::Wav | InputFormat::Flac => return None,
    };
    let audio = (max_duration.as_secs_f64() * bits_per_second as f64 / 8.0).ceil() as u64;
    Some(audio + METADATA_ALLOWANCE)
}

fn check_wav_header(bytes: &[u8], max_duration: Duration) -> Result<(), AudioError> {
    match probe::wav_header(bytes) {
        WavHeader::Declared { length, complete } => {
            // A header claiming hours says "too long" even when most of it is
            // missing: that is what the file says it is.
            check_declared(Some(length), max_duration)?;
            if complete { Ok(()) } else { Err(AudioError::Truncated { format: InputFormat::Wav.as_str() }) }
        }
        WavHeader::Unknown => Ok(()),
        WavHeader::Damaged(reason) => Err(undecodable(InputFormat::Wav, reason.to_owned())),
    }
}

fn open(bytes: &[u8], format: InputFormat) -> Result<Box<dyn FormatReader>, AudioError> {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(format.as_str());
    // Gapless: trim the encoder delay and padding that MP3's LAME header and
    // Vorbis declare, so a recording keeps its true length.
    let options = FormatOptions { enable_gapless: true, ..FormatOptions::default() };
    symphonia::default::get_probe()
        .format(&hint, source, &options, &MetadataOptions::default())
        .map(|p| p.format)
        .map_err(|e| {
            // The file ended while its headers were still being read.
            if is_end_of_stream(&e) {
                AudioError::Truncated { format: format.as_str() }
            } else {
                undecodable(format, e.to_string())
            }
        })
}

fn audio_track(reader: &dyn FormatReader) -> Option<&Track> {
    reader.tracks().iter().find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
}

/// The stream ended. Symphonia reports the end of the input as an
/// unexpected end of file; that a file ended *early* is judged from what it
/// declared (see [`fit_declared`]).
fn is_end_of_stream(e: &SymphoniaError) -> bool {
    matches!(e, SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// The exact length the container declares, in frames, where it is exact:
/// FLAC's STREAMINFO sample count, the final Ogg page's granule position,
/// and an MP3's Xing/LAME frame count (a LAME header is what tells the
/// decoder the encoder delay, so its presence marks the count as written by
/// the encoder, not estimated from the bitrate as for other MP3s). WAV is
/// checked from our own header parse, as Symphonia takes streaming
/// placeholder lengths at face value.
fn declared_frames(params: &CodecParameters, format: InputFormat) -> Option<u64> {
    let exact = match format {
        InputFormat::Ogg | InputFormat::Flac => true,
        InputFormat::Mp3 => params.delay.is_some(),
        InputFormat::Wav => false,
    };
    params.n_frames.filter(|&n| exact && n > 0)
}

/// Checks the decoded length against the declared one: shorter (beyond a
/// few milliseconds of rounding) means the file was cut off; longer is
/// trimmed to it, since Ogg Vorbis decodes up to a block (~20 ms) past the
/// declared end (the encoder's padding, which Symphonia does not trim).
fn fit_declared(mut decoded: Decoded, declared: Option<u64>, format: InputFormat) -> Result<Decoded, AudioError> {
    let Some(declared) = declared.and_then(|d| usize::try_from(d).ok()) else { return Ok(decoded) };
    let tolerance = max_frames(TRUNCATION_TOLERANCE, decoded.sample_rate);
    if decoded.mono.len() + tolerance < declared {
        return Err(AudioError::Truncated { format: format.as_str() });
    }
    decoded.mono.truncate(declared);
    Ok(decoded)
}

/// How much shorter than declared a decoded file may be and still count as
/// whole: less than one MP3 frame or FLAC block, more than rounding.
const TRUNCATION_TOLERANCE: Duration = Duration::from_millis(10);

fn check_declared(declared: Option<Duration>, max: Duration) -> Result<(), AudioError> {
    match declared {
        Some(length) if length > max => Err(AudioError::TooLong { length: Some(length), max }),
        _ => Ok(()),
    }
}

fn frames_to_duration(frames: u64, sample_rate: u32) -> Duration {
    Duration::from_secs_f64(frames as f64 / f64::from(sample_rate))
}

/// The most mono frames a recording within the limit can have.
fn max_frames(max_duration: Duration, sample_rate: u32) -> usize {
    (max_duration.as_secs_f64() * f64::from(sample_rate)).ceil() as usize
}

/// The decoding work spent so far, in frames decoded before trimming.
struct Work {
    spent: u64,
    limit: u64,
}

impl Work {
    /// Every packet costs at least this, so that a flood of packets that
    /// claim no duration is bounded too. No real stream has shorter packets
    /// (FLAC's smallest block is 16 frames; Vorbis's shortest packet 32).
    const MIN_PACKET_COST: u64 = 16;

    /// The limit plus a margin: the encoder delay and padding that are
    /// decoded and trimmed in any honest file (a few MP3 frames), and 5 %.
    fn new(max_frames: usize) -> Self {
        let max_frames = max_frames as u64;
        Self { spent: 0, limit: max_frames + max_frames / 20 + 8 * 1152 }
    }

    fn spend(&mut self, frames: u64, max_duration: Duration) -> Result<(), AudioError> {
        self.spent = self.spent.saturating_add(frames.max(Self::MIN_PACKET_COST));
        if self.spent > self.limit {
            return Err(AudioError::TooLong { length: None, max: max_duration });
        }
        Ok(())
    }
}

/// Mixes decoded packets to mono as they arrive.
struct MixDown {
    sample_rate: u32,
    max_frames: usize,
    channels: Option<usize>,
    clips: ClipCounter,
    mono: Vec<f32>,
    buffer: Option<SampleBuffer<f32>>,
}

impl MixDown {
    fn new(sample_rate: u32, max_duration: Duration) -> Self {
        Self {
            sample_rate,
            max_frames: max_frames(max_duration, sample_rate),
            channels: None,
            clips: ClipCounter::new(1),
            mono: Vec::new(),
            buffer: None,
        }
    }

    /// Averages each interleaved frame of `decoded` into one sample, counting
    /// clipping per channel, and stops with [`AudioError::TooLong`] one frame
    /// past the limit. The channel layout must stay as it began.
    fn push(
        &mut self,
        decoded: symphonia::core::audio::AudioBufferRef<'_>,
        format: InputFormat,
        max_duration: Duration,
    ) -> Result<(), AudioError> {
        let spec = *decoded.spec();
        if spec.rate != self.sample_rate {
            return Err(undecodable(format, "the sample rate changes part-way".to_owned()));
        }
        let channels = spec.channels.count().max(1);
        if *self.channels.get_or_insert_with(|| {
            self.clips = ClipCounter::new(channels);
            channels
        }) != channels
        {
            return Err(undecodable(format, "the number of channels changes part-way".to_owned()));
        }
        let capacity = decoded.capacity() as u64;
        let buffer = match &mut self.buffer {
            Some(buffer) if buffer.capacity() >= decoded.capacity() * channels => buffer,
            slot => slot.insert(SampleBuffer::new(capacity, spec)),
        };
        buffer.copy_interleaved_ref(decoded);
        for frame in buffer.samples().chunks_exact(channels) {
            if self.mono.len() == self.max_frames {
                return Err(AudioError::TooLong { length: None, max: max_duration });
            }
            let mut sum = 0.0f32;
            for (channel, &sample) in frame.iter().enumerate() {
                // NaN or infinity can only come from a damaged float WAV; treat as silence.
                let sample = if sample.is_finite() { sample } else { 0.0 };
                self.clips.push(channel, sample);
                sum += sample;
            }
            self.mono.push(sum / channels as f32);
        }
        Ok(())
    }

    fn finish(self) -> Decoded {
        Decoded { clipped_fraction: self.clips.fraction(), mono: self.mono, sample_rate: self.sample_rate }
    }
}

fn undecodable(format: InputFormat, detail: String) -> AudioError {
    AudioError::Undecodable { format: format.as_str(), detail }
}
