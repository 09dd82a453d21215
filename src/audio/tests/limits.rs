//! Length limits: over-long recordings are refused, where possible before
//! they are decoded, and a cancelled conversion stops.

use super::*;

/// A short 8 kHz mono WAV whose `data` header claims `data_len` bytes.
fn wav_claiming(data_len: u32, actual_secs: f32) -> Vec<u8> {
    let mut bytes = wav_of(&tones(&[(440.0, 0.3)], actual_secs, 8_000), 8_000, 1);
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[data + 4..data + 8].copy_from_slice(&data_len.to_le_bytes());
    // The RIFF length covers it (`u32::MAX` for both is what ffmpeg streams).
    bytes[4..8].copy_from_slice(&data_len.saturating_add(36).to_le_bytes());
    bytes
}

#[test]
fn a_wav_header_claiming_hours_is_refused_before_decoding() {
    // 1.8 GB of 16-bit 8 kHz mono claimed: about 31 hours.
    let err = process_default(&wav_claiming(1_800_000_000, 0.5)).unwrap_err();
    let AudioError::TooLong { length: Some(length), max } = err else { panic!("{err:?}") };
    assert!(length > Duration::from_secs(30 * 3600), "{length:?}");
    assert_eq!(max, Duration::from_secs(120));
    assert!(err_text(length, max).contains("about 31 hours"), "{}", err_text(length, max));
}

#[test]
fn a_flac_claiming_hours_is_refused_before_decoding() {
    let mut flac = fixture("tone-440hz-1500ms-22k05-stereo.flac");
    // STREAMINFO's total-samples field ends at byte 26; claim 2^32 - 1 frames.
    flac[22..26].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = process_default(&flac).unwrap_err();
    let AudioError::TooLong { length: Some(length), .. } = err else { panic!("{err:?}") };
    assert!(length > Duration::from_secs(50 * 3600), "{length:?}");
}

fn err_text(length: Duration, max: Duration) -> String {
    AudioError::TooLong { length: Some(length), max }.to_string()
}

#[test]
fn decoding_stops_at_the_limit_when_the_length_is_not_declared() {
    // A streaming header (length unknown) over 3 s of audio, with a 2 s limit.
    let limits = AudioLimits { max_duration: Duration::from_secs(2), ..AudioLimits::default() };
    let err = process(&wav_claiming(u32::MAX, 3.0), &limits).unwrap_err();
    assert!(matches!(err, AudioError::TooLong { length: None, .. }), "{err:?}");
    // The same header over 1 s is fine, and so is espeak-ng's placeholder
    // (which taken at face value would be 37 hours at 8 kHz).
    assert!(process(&wav_claiming(u32::MAX, 1.0), &limits).is_ok());
    assert!(process(&wav_claiming(0x7FFF_F000, 1.0), &limits).is_ok());
}

#[test]
fn a_recording_over_the_limit_is_too_long() {
    let limits = AudioLimits { max_duration: Duration::from_secs(1), ..AudioLimits::default() };
    let err = process(&fixture("tone-440hz-1500ms-44k1-stereo.ogg"), &limits).unwrap_err();
    assert!(matches!(err, AudioError::TooLong { .. }), "{err:?}");
}

#[test]
fn messages_speak_plainly() {
    let max = Duration::from_secs(120);
    assert!(err_text(Duration::from_millis(120_400), max).contains("121 seconds"));
    assert!(err_text(Duration::from_secs(900), max).contains("about 15 minutes"));
    let none = AudioError::TooLong { length: None, max }.to_string();
    assert!(none.contains("at most 120 seconds"), "{none}");
}

/// The MP3 fixture (LAME VBR) made into the crafted file: its Xing
/// header claims `claimed` MPEG frames, and its audio frames are repeated
/// `repeats` times after it. The decoder trims every sample past the claimed
/// frames, so the file decodes to almost nothing while every frame is still
/// decoded; rodio skipped such packets in a loop of its own, unbounded.
fn mp3_hiding_its_frames(claimed: u32, repeats: usize) -> Vec<u8> {
    let mp3 = fixture("tone-440hz-1500ms-44k1-stereo.mp3");
    // The first frame: MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding.
    assert_eq!(mp3[..4], [0xFF, 0xFB, 0x90, 0x64]);
    let first = 144 * 128_000 / 44_100;
    let xing = mp3.windows(4).position(|w| w == b"Xing").unwrap();
    assert_eq!(mp3[xing + 7] & 1, 1, "the Xing header has a frame count");
    let mut crafted = mp3[..first].to_vec();
    crafted[xing + 8..xing + 12].copy_from_slice(&claimed.to_be_bytes());
    for _ in 0..repeats {
        crafted.extend_from_slice(&mp3[first..]);
    }
    crafted
}

#[test]
fn an_mp3_hiding_its_frames_behind_its_header_is_too_long_and_not_decoded_to_the_end() {
    // 3 frames claimed (37 ms after the encoder delay), 45 s of frames
    // behind them; the limit is 2 s.
    let limits = AudioLimits { max_duration: Duration::from_secs(2), ..AudioLimits::default() };
    let crafted = mp3_hiding_its_frames(3, 30);
    let err = process(&crafted, &limits).unwrap_err();
    assert!(matches!(err, AudioError::TooLong { length: None, .. }), "{err:?}");
    // Within the limit it decodes, and is refused for what it is: 37 ms.
    let err = process(&mp3_hiding_its_frames(3, 1), &limits).unwrap_err();
    assert!(matches!(err, AudioError::TooShort { .. }), "{err:?}");
}

#[test]
fn a_compressed_file_larger_than_the_longest_recording_is_refused_unread() {
    // 2 minutes at MP3's highest bitrate is 4.8 MB (+ 2 MiB for tags).
    let crafted = mp3_hiding_its_frames(3, 1_000);
    assert!(crafted.len() > 7_000_000, "{}", crafted.len());
    let err = process_default(&crafted).unwrap_err();
    let AudioError::TooLarge { format: "mp3", bytes, max_bytes, .. } = err else { panic!("{err:?}") };
    assert_eq!((bytes, max_bytes), (crafted.len() as u64, 4_800_000 + 2 * 1024 * 1024));
    assert!(err.to_string().contains("at most 120 seconds"), "{err}");
}

#[test]
fn a_cancelled_conversion_stops() {
    let bytes = fixture("tone-440hz-1500ms-44k1-stereo.ogg");
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let err = process_cancellable(&bytes, &AudioLimits::default(), &cancel).unwrap_err();
    assert!(matches!(err, AudioError::Cancelled), "{err:?}");
}
