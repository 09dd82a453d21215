//! Why an upload was refused. Each variant's message is shown to the admin
//! who uploaded the recording, so it says what is wrong and what to do, in
//! plain words; details for developers are in the fields (and the logs).

use std::time::Duration;

/// A recording that cannot become a prompt, and why.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The bytes are not WAV, MP3, OGG or FLAC at all (e.g. a text file or a
    /// picture renamed to `.wav`).
    #[error("This file is not a sound recording Sampark can use. Please upload a WAV, MP3, OGG (Vorbis) or FLAC file.")]
    NotAudio,

    /// The file starts like audio but could not be decoded: it is damaged,
    /// truncated, or uses an encoding the decoders do not support.
    #[error(
        "This {} file could not be read: it may be damaged or incomplete, or use an encoding Sampark does not \
         support. Please export the recording again (for example as 16-bit WAV) and upload that.",
        .format.to_uppercase()
    )]
    Undecodable {
        format: &'static str,
        /// The decoder's own words, for the logs.
        detail: String,
    },

    /// The file ends before what its headers declare: the upload or the
    /// export was cut short.
    #[error(
        "This {} file is incomplete: it ends before the recording does, so the upload or the export was cut \
         short. Please export the recording again and upload the whole file.",
        .format.to_uppercase()
    )]
    Truncated { format: &'static str },

    /// A compressed file larger than any recording of the longest length
    /// allowed can be in its format (checked before decoding).
    #[error("{}", too_large_message(.format, *.bytes, *.max_bytes, *.max))]
    TooLarge { format: &'static str, bytes: u64, max_bytes: u64, max: Duration },

    /// The sample rate is outside what Sampark accepts.
    #[error(
        "This recording uses a sample rate of {rate} Hz, which Sampark does not accept. Please export it again \
         at a common rate such as 8000, 16000, 44100 or 48000 Hz."
    )]
    UnsupportedSampleRate { rate: u32 },

    /// The file decodes to no sound at all.
    #[error("This recording is empty: it contains no sound. Please check the file and upload it again.")]
    Empty,

    /// Longer than [`super::AudioLimits::max_duration`]. `length` is `None`
    /// when decoding stopped at the limit, so the real length is not known.
    #[error("{}", too_long_message(*.length, *.max))]
    TooLong { length: Option<Duration>, max: Duration },

    /// (Almost) nothing audible in the telephone band. `rms_dbfs` is the
    /// level measured there, for the logs.
    #[error(
        "This recording is silent or far too quiet to be heard on a phone line. Please check that the microphone \
         was on and record again, speaking closer to it."
    )]
    Silent { rms_dbfs: f32 },

    /// Less sound than [`super::AudioLimits::min_sound`]: a click, a
    /// cut-off word, a recording stopped too soon.
    #[error(
        "This recording is too short: it has {} of sound, but a prompt needs at least {}. Please record the \
         whole prompt.",
        short_length(*.sound),
        short_length(*.min)
    )]
    TooShort { sound: Duration, min: Duration },

    /// The sound is noise (a flat spectrum, like hiss or random bytes played
    /// as audio), not a voice. `flatness` is the measure, for the logs.
    #[error(
        "This recording is only noise, like the hiss of a radio between stations, with no voice in it. The \
         file may be damaged or saved in the wrong format: please export it again, or record again."
    )]
    Noise { flatness: f32 },

    /// Nearly all the sound is below the speech band (a hum or rumble).
    #[error(
        "This recording is only a low hum or rumble, with nothing in the range of a voice. Please check the \
         microphone and record again."
    )]
    Hum { speech_band_percent: f32 },

    /// The check was stopped because the upload's request ended (it timed
    /// out): nothing was stored.
    #[error("Checking this recording took too long and was stopped; nothing was changed. Please try again.")]
    Cancelled,

    /// Too much of the recording is flattened at full volume.
    #[error(
        "This recording is distorted: it was recorded too loud, and {percent:.1}% of it is cut off at full volume. \
         Please record again with the microphone a little further away or the input volume lower."
    )]
    Clipped { percent: f32 },

    /// Writing the converted WAV failed (a bug, not the uploader's fault).
    #[error("Sampark could not write the converted recording. This is a fault in Sampark, not in your file.")]
    Encode(#[from] hound::Error),
}

fn too_long_message(length: Option<Duration>, max: Duration) -> String {
    let max = spoken_length(max);
    match length {
        Some(length) => format!(
            "This recording is too long: {}, but a prompt may be at most {max}. Please shorten it.",
            spoken_length(length)
        ),
        None => format!("This recording is too long: a prompt may be at most {max}. Please shorten it."),
    }
}

fn too_large_message(format: &str, bytes: u64, max_bytes: u64, max: Duration) -> String {
    let mb = |b: u64| b as f64 / 1_000_000.0;
    format!(
        "This {} file is {:.1} MB, larger than any recording a prompt may be (at most {}) can be: even at the \
         highest quality that is {:.1} MB. Please shorten it, or export it again.",
        format.to_uppercase(),
        mb(bytes),
        spoken_length(max),
        mb(max_bytes)
    )
}

/// "0.01 seconds", "0.30 seconds": hundredths, for lengths under a second.
fn short_length(length: Duration) -> String {
    format!("{:.2} seconds", length.as_secs_f64())
}

/// "90 seconds", "about 14 minutes", "about 3 hours". Seconds are rounded
/// up, so a recording just over the limit never reads as equal to it.
fn spoken_length(length: Duration) -> String {
    let secs = length.as_secs_f64().ceil() as u64;
    let (n, unit, about) = match secs {
        0..=600 => (secs, "second", ""),
        601..=7_199 => ((secs + 30) / 60, "minute", "about "),
        _ => ((secs + 1_800) / 3_600, "hour", "about "),
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("{about}{n} {unit}{plural}")
}
