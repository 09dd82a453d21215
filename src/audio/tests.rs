//! Tests for the prompt audio pipeline. WAV inputs are generated here with
//! hound; MP3, Ogg Vorbis and FLAC come from `tests/fixtures/audio/` (made
//! with sox, see the README there).

use std::{f32::consts::PI, io::Cursor, time::Duration};

use super::*;

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

#[test]
fn wav_44k1_stereo_converts_keeping_its_duration() {
    let bytes = wav_of(&interleave(&tones(&[(440.0, 0.5)], FIXTURE_SECS, 44_100), 2), 44_100, 2);
    assert_converted(&bytes, "wav", FIXTURE_SECS);
}

#[test]
fn wav_at_8k_and_16k_mono_convert() {
    for rate in [8_000, 16_000] {
        assert_converted(&wav_of(&tones(&[(440.0, 0.3)], 1.0, rate), rate, 1), "wav", 1.0);
    }
}

#[test]
fn mp3_converts_keeping_its_duration() {
    assert_converted(&fixture("tone-440hz-1500ms-44k1-stereo.mp3"), "mp3", FIXTURE_SECS);
}

#[test]
fn mp3_without_a_lame_header_keeps_its_encoder_padding() {
    // Without the LAME header nothing says how much of the first and last
    // frame is encoder delay and padding (1818 samples here, 41 ms), so it
    // stays in: a known, documented limit of untagged MP3s.
    let out = process_default(&fixture("tone-440hz-1500ms-44k1-stereo-no-lame-tag.mp3")).unwrap();
    let secs = out.duration.as_secs_f32();
    assert!((FIXTURE_SECS..FIXTURE_SECS + 0.05).contains(&secs), "{secs} s");
}

#[test]
fn ogg_vorbis_converts_keeping_its_duration() {
    assert_converted(&fixture("tone-440hz-1500ms-44k1-stereo.ogg"), "ogg", FIXTURE_SECS);
}

#[test]
fn flac_converts_keeping_its_duration() {
    assert_converted(&fixture("tone-440hz-1500ms-22k05-stereo.flac"), "flac", FIXTURE_SECS);
}

#[test]
fn the_hash_is_of_the_output_and_stable() {
    let bytes = wav_of(&tones(&[(300.0, 0.2)], 0.5, 16_000), 16_000, 1);
    let (a, b) = (process_default(&bytes).unwrap(), process_default(&bytes).unwrap());
    assert_eq!(a.sha256, encode::sha256_hex(&a.wav));
    assert_eq!(a.sha256.len(), 64);
    assert_eq!(a, b);
}

#[test]
fn quiet_and_loud_inputs_come_out_equally_loud() {
    let quiet = process_default(&wav_of(&tones(&[(500.0, 0.01)], 1.0, 44_100), 44_100, 1)).unwrap();
    let loud = process_default(&wav_of(&tones(&[(500.0, 0.7)], 1.0, 44_100), 44_100, 1)).unwrap();
    let (quiet, loud) = (rms_dbfs(&speech_of(&quiet.wav)), rms_dbfs(&speech_of(&loud.wav)));
    assert!((quiet - loud).abs() < 1.0, "{quiet} vs {loud} dBFS");
    assert!((quiet - TARGET_RMS_DBFS).abs() < 1.0, "{quiet} dBFS");
}

#[test]
fn peaks_are_limited_below_full_scale() {
    // A quiet tone with loud clicks: bringing the tone to the target level
    // would push the clicks far past full scale.
    let mut mono = tones(&[(400.0, 0.05)], 1.0, 16_000);
    for i in (1000..mono.len()).step_by(4000) {
        mono[i] = 0.9;
    }
    let out = process_default(&wav_of(&mono, 16_000, 1)).unwrap();
    let peak = peak(&read_back(&out.wav));
    assert!(peak <= ceiling(), "peak {peak} above ceiling {}", ceiling());
    let level = rms_dbfs(&speech_of(&out.wav));
    assert!((level - TARGET_RMS_DBFS).abs() < 1.5, "the tone still reaches the target: {level} dBFS");
}

#[test]
fn a_tone_above_the_new_nyquist_is_filtered_not_aliased() {
    // Equal 3 kHz and 6 kHz tones at 48 kHz. Plain decimation would fold
    // 6 kHz onto 2 kHz at 8 kHz; the low-pass must remove it first.
    let input = tones(&[(3_000.0, 0.3), (6_000.0, 0.3)], 1.0, 48_000);
    let in_ratio = power_at(&input, 48_000, 6_000.0) / power_at(&input, 48_000, 3_000.0);
    let out = speech_of(&process_default(&wav_of(&input, 48_000, 1)).unwrap().wav);
    let out_ratio = power_at(&out, 8_000, 2_000.0) / power_at(&out, 8_000, 3_000.0);
    let drop_db = 10.0 * (in_ratio / out_ratio).log10();
    assert!(drop_db > 40.0, "6 kHz only {drop_db:.1} dB down relative to 3 kHz");
    // A sine of amplitude A has Goertzel power A²/4 and mean square A²/2:
    // nearly all of the output is the 3 kHz tone.
    let mean_square = out.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / out.len() as f64;
    let share = 2.0 * power_at(&out, 8_000, 3_000.0) / mean_square;
    assert!(share > 0.95, "3 kHz is only {share:.3} of the output");
}

#[test]
fn the_resampler_passes_3khz_and_stops_6khz() {
    let level_after = |freq: f32| {
        let input = tones(&[(freq, 0.5)], 0.5, 44_100);
        let out = resample::resample(&input, 44_100, 8_000);
        // Skip the filter's run-in and run-out at the edges.
        rms_dbfs(&out[200..out.len() - 200]) - rms_dbfs(&input)
    };
    let (pass, stop) = (level_after(3_000.0), level_after(6_000.0));
    assert!(pass.abs() < 0.5, "3 kHz changed by {pass:.2} dB");
    assert!(stop < -60.0, "6 kHz only {stop:.1} dB down");
}

#[test]
fn ultrasonic_content_alone_counts_as_silence() {
    let err = process_default(&wav_of(&tones(&[(6_000.0, 0.5)], 1.0, 48_000), 48_000, 1)).unwrap_err();
    assert!(matches!(err, AudioError::Silent { .. }), "{err:?}");
}

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
fn a_wav_without_samples_is_empty() {
    let err = process_default(&wav_of(&[], 16_000, 1)).unwrap_err();
    assert!(matches!(err, AudioError::Empty), "{err:?}");
}

#[test]
fn silence_and_near_silence_are_refused() {
    let zeros = wav_of(&vec![0.0; 16_000], 16_000, 1);
    let hum = wav_of(&tones(&[(200.0, 0.002)], 1.0, 16_000), 16_000, 1); // about -57 dBFS RMS
    for (what, bytes) in [("zeros", zeros), ("faint hum", hum)] {
        let err = process_default(&bytes).unwrap_err();
        assert!(matches!(err, AudioError::Silent { .. }), "{what}: {err:?}");
    }
}

#[test]
fn a_clipped_square_wave_is_refused() {
    let square: Vec<f32> =
        tones(&[(440.0, 1.0)], 1.0, 44_100).iter().map(|&s| if s >= 0.0 { 1.0 } else { -1.0 }).collect();
    let err = process_default(&wav_of(&interleave(&square, 2), 44_100, 2)).unwrap_err();
    let AudioError::Clipped { percent } = err else { panic!("{err:?}") };
    assert!(percent > 90.0, "{percent}");
}

#[test]
fn loud_but_unclipped_audio_is_accepted() {
    // A half-scale square wave has flat tops too, but nowhere near full scale;
    // a sine peaking at 0.95 comes close, but only at its peaks.
    let half_square: Vec<f32> =
        tones(&[(440.0, 1.0)], 1.0, 44_100).iter().map(|&s| if s >= 0.0 { 0.5 } else { -0.5 }).collect();
    assert!(process_default(&wav_of(&half_square, 44_100, 1)).is_ok());
    assert!(process_default(&wav_of(&tones(&[(440.0, 0.95)], 1.0, 44_100), 44_100, 1)).is_ok());
}

#[test]
fn isolated_full_scale_peaks_are_not_clipping() {
    let mut clips = checks::ClipCounter::new(1);
    for s in [0.0, 1.0, 0.5, -1.0, -0.2, 1.0, 1.0, 0.3] {
        clips.push(0, s);
    }
    assert_eq!(clips.fraction(), 0.0);
    for _ in 0..4 {
        clips.push(0, -1.0);
    }
    assert_eq!(clips.fraction(), 4.0 / 12.0);
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
fn messages_speak_plainly() {
    let max = Duration::from_secs(120);
    assert!(err_text(Duration::from_millis(120_400), max).contains("121 seconds"));
    assert!(err_text(Duration::from_secs(900), max).contains("about 15 minutes"));
    let none = AudioError::TooLong { length: None, max }.to_string();
    assert!(none.contains("at most 120 seconds"), "{none}");
}

/// Pseudo-random 16-bit samples (a fixed LCG, so the test is repeatable):
/// what a WAV header followed by random bytes plays as.
fn random_samples(n: usize) -> Vec<f32> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            f32::from((state >> 48) as u16 as i16) / 32768.0
        })
        .collect()
}

#[test]
fn random_bytes_after_a_wav_header_are_refused_as_noise() {
    let err = process_default(&wav_of(&random_samples(88_200), 44_100, 1)).unwrap_err();
    let AudioError::Noise { flatness } = err else { panic!("{err:?}") };
    assert!(flatness > 0.5, "{flatness}");
    assert!(err.to_string().contains("only noise"), "{err}");
}

/// A crude voice: a 140 Hz buzz (harmonics falling off 6 dB per octave)
/// through two formant-like peaks, in syllables of 200 ms with short gaps.
fn buzzy_syllables(secs: f32, rate: u32) -> Vec<f32> {
    let harmonics: Vec<(f32, f32)> = (1..=24)
        .map(|h| {
            let f = 140.0 * h as f32;
            let formants = 1.0 / (1.0 + ((f - 700.0) / 150.0).powi(2)) + 0.5 / (1.0 + ((f - 1_800.0) / 200.0).powi(2));
            (f, 0.2 / h as f32 * (0.1 + formants))
        })
        .collect();
    let mut voice = tones(&harmonics, secs, rate);
    for (i, s) in voice.iter_mut().enumerate() {
        let in_syllable = (i as f32 / rate as f32 * 4.0).fract();
        *s *= if in_syllable < 0.8 { (in_syllable / 0.8 * PI).sin() } else { 0.0 };
    }
    voice
}

#[test]
fn a_voice_passes_the_noise_check_even_with_noise_behind_it() {
    let voice = buzzy_syllables(2.0, 16_000);
    assert!(process_default(&wav_of(&voice, 16_000, 1)).is_ok());
    // White noise 10 dB below the voice's loud parts: a noisy room.
    let level = checks::from_dbfs(checks::level(&voice).rms_dbfs - 10.0) * 3f32.sqrt();
    let noisy: Vec<f32> = voice.iter().zip(random_samples(voice.len())).map(|(v, n)| v + n * level).collect();
    process_default(&wav_of(&noisy, 16_000, 1)).unwrap();
    // The same noise alone is refused.
    let noise: Vec<f32> = random_samples(voice.len()).iter().map(|n| n * level).collect();
    assert!(matches!(process_default(&wav_of(&noise, 16_000, 1)), Err(AudioError::Noise { .. })));
}

#[test]
fn a_hum_below_the_speech_band_is_refused() {
    let err = process_default(&wav_of(&tones(&[(50.0, 0.4), (100.0, 0.1)], 2.0, 16_000), 16_000, 1)).unwrap_err();
    assert!(matches!(err, AudioError::Hum { .. }), "{err:?}");
}

#[test]
fn a_pure_tone_is_not_noise() {
    // The check refuses what is broken, not what is merely not speech.
    for freq in [440.0, 1_000.0, 3_000.0] {
        process_default(&wav_of(&tones(&[(freq, 0.3)], 1.0, 16_000), 16_000, 1)).unwrap();
    }
}

#[test]
fn clips_with_too_little_sound_are_too_short() {
    let clip = wav_of(&interleave(&tones(&[(440.0, 0.5)], 0.01, 44_100), 2), 44_100, 2);
    let err = process_default(&clip).unwrap_err();
    let AudioError::TooShort { sound, min } = err else { panic!("{err:?}") };
    assert!(sound <= Duration::from_millis(10), "{sound:?}");
    assert_eq!(min, Duration::from_millis(250));
    assert!(err.to_string().contains("0.01 seconds of sound"), "{err}");
    // A long file holding a 100 ms beep and silence is no better.
    let mut beep = vec![0.0; 32_000];
    beep[8_000..9_600].copy_from_slice(&tones(&[(440.0, 0.5)], 0.1, 16_000));
    assert!(matches!(process_default(&wav_of(&beep, 16_000, 1)), Err(AudioError::TooShort { .. })));
    // The minimum is a limit like the others.
    let limits = AudioLimits { min_sound: Duration::from_millis(50), ..AudioLimits::default() };
    process(&wav_of(&beep, 16_000, 1), &limits).unwrap();
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
