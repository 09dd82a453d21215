//! Converting a 60-second MP3 upload into a prompt: the whole pipeline
//! (`sampark::audio::process`: decode, check, low-pass and resample,
//! normalise, encode) beside decoding alone, in the same run.
//!
//! The MP3 (44.1 kHz stereo, VBR, a tone sweeping through the speech band)
//! is made with sox, which must be installed (`apt-get install sox
//! libsox-fmt-mp3`), so the repository carries no 60-second file.
//!
//! Then the issue's crafted MP3s (issue 9, item 10), built here from the
//! test fixture: a LAME header claiming three frames in front of thousands
//! of copies of the fixture's frames, which the decoder would decode and
//! throw away. They must be refused, and quickly: 30 MB unread, 6.5 MB (under
//! the size cap) once the work budget runs out.
//!
//! Run: `cargo bench --bench prompt_convert` (RUNS=7).

use std::{
    process::Command,
    time::{Duration, Instant},
};

use rodio::Source;
use sampark::audio::{AudioLimits, process};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let dir = tempfile::TempDir::new().unwrap();
    let mp3 = dir.path().join("sixty.mp3");
    let made = Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "2", "-C", "-4"])
        .arg(&mp3)
        .args(["synth", "60", "sine", "200-3000", "vol", "0.4"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("sox with MP3 support is needed to make the test file (apt-get install sox libsox-fmt-mp3)");
        std::process::exit(1);
    }
    let bytes = std::fs::read(&mp3).unwrap();
    let limits = AudioLimits::default();

    let mut decode_times = Vec::new();
    let mut process_times = Vec::new();
    let mut output = None;
    for _ in 0..runs {
        let start = Instant::now();
        let decoder = rodio::Decoder::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let channels = decoder.channels();
        let samples = decoder.count();
        std::hint::black_box(samples);
        decode_times.push(start.elapsed());
        assert!(samples > 0 && channels.get() == 2);

        let start = Instant::now();
        let processed = process(&bytes, &limits).unwrap();
        process_times.push(start.elapsed());
        output = Some(processed);
    }
    let output = output.unwrap();
    let decode = median(decode_times);
    let whole = median(process_times);
    println!(
        "60-second MP3 ({} KB, 44.1 kHz stereo VBR) → 8 kHz mono WAV ({} KB), {runs} runs, medians:",
        bytes.len() / 1024,
        output.wav.len() / 1024
    );
    println!("  decoding alone (rodio)      {:>8.1} ms", decode.as_secs_f64() * 1000.0);
    println!("  whole pipeline (process)    {:>8.1} ms", whole.as_secs_f64() * 1000.0);
    println!("  pipeline / decoding         {:>8.2}x", whole.as_secs_f64() / decode.as_secs_f64());
    println!("  faster than real time       {:>8.0}x", 60.0 / whole.as_secs_f64());
    println!("  duration kept               {:>8.3} s", output.duration.as_secs_f64());
    crafted(&limits);
}

/// The fixture with its Xing frame count set to 3 and its audio frames
/// repeated `repeats` times (see tests/api/prompts.rs).
fn mp3_hiding_its_frames(repeats: usize) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audio/tone-440hz-1500ms-44k1-stereo.mp3");
    let mp3 = std::fs::read(path).unwrap();
    let first = 144 * 128_000 / 44_100;
    let xing = mp3.windows(4).position(|w| w == b"Xing").unwrap();
    let mut crafted = mp3[..first].to_vec();
    crafted[xing + 8..xing + 12].copy_from_slice(&3u32.to_be_bytes());
    for _ in 0..repeats {
        crafted.extend_from_slice(&mp3[first..]);
    }
    crafted
}

fn crafted(limits: &AudioLimits) {
    println!("crafted MP3s (a header claiming 3 frames, the rest decoded and trimmed away):");
    for repeats in [4_000, 870] {
        let bytes = mp3_hiding_its_frames(repeats);
        let start = Instant::now();
        let result = process(&bytes, limits);
        let took = start.elapsed();
        let outcome = match result {
            Ok(p) => format!("ACCEPTED as {:.3} s", p.duration.as_secs_f64()),
            Err(e) => format!("refused: {e}"),
        };
        println!("  {:>5.1} MB  {:>8.1} ms  {outcome}", bytes.len() as f64 / 1e6, took.as_secs_f64() * 1000.0);
    }
}
