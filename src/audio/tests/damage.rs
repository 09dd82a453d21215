//! Damaged and disguised files: what is not audio, is corrupt, or was cut short
//! is refused, never skipped over.

use super::*;

#[test]
fn a_text_file_renamed_wav_is_not_audio() {
    let err = process_default(b"Namaste! This is not a recording, just a note saved as greeting.wav\n").unwrap_err();
    assert!(matches!(err, AudioError::NotAudio), "{err:?}");
    assert!(matches!(process_default(b""), Err(AudioError::NotAudio)));
}

#[test]
fn corrupt_files_are_undecodable() {
    let garbage: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("ogg magic then noise", [b"OggS".as_slice(), &garbage].concat()),
        ("flac magic then noise", [b"fLaC".as_slice(), &garbage].concat()),
        ("wav without fmt chunk", [b"RIFF\x20\x00\x00\x00WAVEdata\x08\x00\x00\x00".as_slice(), &[0; 8]].concat()),
    ];
    for (what, bytes) in cases {
        let err = process_default(&bytes).unwrap_err();
        assert!(matches!(err, AudioError::Undecodable { .. }), "{what}: {err:?}");
    }
}

#[test]
fn formats_are_recognised_by_their_magic_numbers() {
    let cases: [(&[u8], Option<InputFormat>); 8] = [
        (b"RIFF\0\0\0\0WAVEfmt ", Some(InputFormat::Wav)),
        (b"RIFF\0\0\0\0AVI LIST", None),
        (b"OggS\0\x02", Some(InputFormat::Ogg)),
        (b"fLaC\0\0\0\x22", Some(InputFormat::Flac)),
        (b"ID3\x04\0\0", Some(InputFormat::Mp3)),
        (&[0xFF, 0xFB, 0x90, 0x64], Some(InputFormat::Mp3)),
        (&[0xFF, 0xD8, 0xFF, 0xE0], None), // JPEG
        (b"%PDF-1.7", None),
    ];
    for (bytes, expected) in cases {
        assert_eq!(probe_format(bytes), expected, "{bytes:?}");
    }
}

#[test]
fn a_wav_chunk_longer_than_the_file_is_damaged() {
    let mut bytes = wav_of(&tones(&[(440.0, 0.3)], 0.2, 8_000), 8_000, 1);
    // Insert a LIST chunk claiming 4 GB before `fmt `.
    bytes.splice(12..12, b"LIST\xF0\xFF\xFF\xFFINFO".iter().copied());
    let err = process_default(&bytes).unwrap_err();
    assert!(matches!(err, AudioError::Undecodable { format: "wav", .. }), "{err:?}");
}

#[test]
fn a_wav_cut_short_is_truncated() {
    let whole = wav_of(&tones(&[(440.0, 0.3)], 2.0, 16_000), 16_000, 1);
    let err = process_default(&whole[..whole.len() * 6 / 10]).unwrap_err();
    assert!(matches!(err, AudioError::Truncated { format: "wav" }), "{err:?}");
    assert!(err.to_string().contains("incomplete"), "{err}");
    // One sample short is cut short too.
    assert!(matches!(process_default(&whole[..whole.len() - 1]), Err(AudioError::Truncated { .. })));
}

#[test]
fn compressed_files_cut_short_are_truncated() {
    for name in [
        "tone-440hz-1500ms-44k1-stereo.mp3",
        "tone-440hz-1500ms-44k1-stereo.ogg",
        "tone-440hz-1500ms-22k05-stereo.flac",
    ] {
        let whole = fixture(name);
        for cut in [whole.len() * 6 / 10, whole.len() * 9 / 10] {
            let result = process_default(&whole[..cut]).map(|p| p.duration);
            assert!(
                matches!(result, Err(AudioError::Truncated { .. })),
                "{name} cut at {cut}/{}: {result:?}",
                whole.len()
            );
        }
    }
    // Cut while the headers are still being read.
    let flac = fixture("tone-440hz-1500ms-22k05-stereo.flac");
    assert!(matches!(process_default(&flac[..42]), Err(AudioError::Truncated { format: "flac" })));
}

#[test]
fn damaged_packets_are_refused_not_skipped() {
    for name in [
        "tone-440hz-1500ms-44k1-stereo.mp3",
        "tone-440hz-1500ms-44k1-stereo.ogg",
        "tone-440hz-1500ms-22k05-stereo.flac",
    ] {
        // A kilobyte of garbage in the middle: the demuxer drops the frames
        // it hits (resynchronising after them), so the file comes out short
        // of what its header declares.
        let mut bytes = fixture(name);
        let middle = bytes.len() / 2;
        bytes[middle..middle + 1024].iter_mut().for_each(|b| *b ^= 0x5A);
        let result = process_default(&bytes).map(|p| p.duration);
        assert!(
            matches!(result, Err(AudioError::Truncated { .. } | AudioError::Undecodable { .. })),
            "{name}: {result:?}"
        );
    }
}

#[test]
fn an_ogg_file_ends_with_a_whole_last_page() {
    let ogg = fixture("tone-440hz-1500ms-44k1-stereo.ogg");
    assert_eq!(probe::ogg_end(&ogg), probe::OggEnd::Complete);
    assert_eq!(probe::ogg_end(&ogg[..ogg.len() - 1]), probe::OggEnd::Truncated);
    assert_eq!(probe::ogg_end(&[ogg.as_slice(), b"junk at the end"].concat()), probe::OggEnd::Unknown);
}
