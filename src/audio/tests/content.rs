//! What the recording holds: silence, clipping and noise are refused; voices,
//! loud speech and pure tones pass.

use super::*;

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
