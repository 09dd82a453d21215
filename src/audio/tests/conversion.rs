//! Conversion: every input format comes out as 8 kHz mono telephone audio of
//! the same length, equally loud, limited and filtered.

use super::*;

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
