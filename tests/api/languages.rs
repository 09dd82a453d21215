//! Languages beyond the first four (issue 12): a language whose script a
//! nearby language's gateway voice reads (Bhojpuri: the Hindi voice), one no
//! voice reads (Santali in Ol Chiki: said in Hindi until recorded), through
//! every gateway; and the prompt matrix and placeholder synthesis for them.

use std::path::Path;

use super::{
    cli::{migrated, sampark},
    dialects::{ALL, Dialect, Phone},
    gateways::sid,
    helpers::{Options, TestApp, spawn_app_with},
};

/// In place of the default flow: a language menu of Hindi, Bhojpuri,
/// Santali and Tamil, then thanks.
const FLOW: &str = r#"
id = "helpline"
description = "A language menu, then thanks."
start = "language"
languages = ["hi", "bho", "sat", "ta"]
default_language = "hi"

[nodes.language]
kind = "menu"
prompts = ["language_option@hi", "press_1@hi", "language_option@bho", "press_2@bho",
           "language_option@sat", "press_3@sat", "language_option@ta", "press_4@ta"]
store = "language"
invalid_prompts = ["invalid_choice@hi"]
timeout_prompts = ["no_input@hi"]
fallback = "thanks"
fallback_value = "hi"
options.1 = { value = "hi", next = "thanks" }
options.2 = { value = "bho", next = "thanks" }
options.3 = { value = "sat", next = "thanks" }
options.4 = { value = "ta", next = "thanks" }

[nodes.thanks]
kind = "end"
prompts = ["thanks"]
"#;

fn flows_dir() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("languages.toml"), FLOW).unwrap();
    dir
}

async fn app(flows: &Path) -> TestApp {
    spawn_app_with(Options { flows_dir: flows.to_owned(), ..Options::default() }).await
}

async fn each_language_is_heard_as_its_voice_allows(dialect: Dialect, app: &TestApp, n: u32) {
    let mut phone = Phone::dial(app, dialect, &sid(dialect, 80 + n), "1000000081").await;
    let menu = phone.heard.text.clone();
    for line in ["हिंदी के लिए", "भोजपुरी खातिर", "2 दबाईं", "தமிழுக்கு", "4 அழுத்தவும்"]
    {
        assert!(menu.contains(line), "{dialect:?}: `{line}` in {menu:?}");
    }
    assert!(!menu.contains("ᱥᱟᱱᱛᱟᱲᱤ"), "{dialect:?}: no voice reads Ol Chiki: {menu:?}");
    assert_eq!(menu.matches("हिंदी के लिए").count(), 1, "{dialect:?}: Hindi's line is not Santali's: {menu:?}");
    let (key, thanks) = match n {
        0 => ("2", "धन्यवाद। एगो स्वयंसेवक रउआ के एही नंबर पर"),
        1 => ("3", "धन्यवाद। एक स्वयंसेवक आपको फ़ोन करेगा"),
        _ => ("4", "நன்றி. ஒரு தன்னார்வலர்"),
    };
    let heard = phone.press(key).await.clone();
    assert!(heard.text.contains(thanks), "{dialect:?}: key {key}: {heard:?}");
    assert!(heard.ended, "{dialect:?}: {heard:?}");
    phone.hang_up().await;
}

#[tokio::test]
async fn bhojpuri_is_read_by_the_hindi_voice_and_santali_said_in_hindi_on_every_gateway() {
    let flows = flows_dir();
    for dialect in ALL {
        for n in 0..3 {
            let app = app(flows.path()).await;
            each_language_is_heard_as_its_voice_allows(dialect, &app, n).await;
            let case = app.only_case().await;
            assert_eq!(case["language"], ["bho", "sat", "ta"][n as usize], "{dialect:?}");
        }
    }
}

fn prompts(url: &str, flows: &Path, args: &[&str]) -> std::process::Output {
    sampark()
        .arg("prompts")
        .args(args)
        .env("SAMPARK_DATABASE_URL", url)
        .env("SAMPARK_FLOWS_DIR", flows)
        .output()
        .unwrap()
}

fn row<'a>(coverage: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    coverage["prompts"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap()
}

fn cell<'a>(coverage: &'a serde_json::Value, key: &str, lang: &str) -> &'a serde_json::Value {
    let column = coverage["languages"].as_array().unwrap().iter().position(|l| l == lang).unwrap();
    &row(coverage, key)["cells"][column]
}

#[test]
fn the_prompt_matrix_shows_unchecked_texts_and_what_stands_in_for_a_voice() {
    let work = tempfile::TempDir::new().unwrap();
    let url = migrated(&work.path().join("matrix.db"));
    let flows = flows_dir();
    let output = prompts(&url, flows.path(), &["coverage", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let coverage: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cell(&coverage, "thanks", "bho")["status"], "text_only");
    assert_eq!(cell(&coverage, "thanks", "sat")["status"], "said_instead");
    assert_eq!(cell(&coverage, "thanks", "sat")["language"], "hi");
    assert_eq!(cell(&coverage, "language_option", "sat")["status"], "missing", "names its own language");
    assert_eq!(row(&coverage, "thanks")["unchecked"], serde_json::json!(["bho", "sat", "ta"]));
    let column = |lang| coverage["languages"].as_array().unwrap().iter().position(|l| l == lang).unwrap();
    assert_eq!(coverage["totals"][column("hi")]["unchecked"], 0);
    assert!(coverage["totals"][column("sat")]["unchecked"].as_u64().unwrap() >= 3);

    let table = prompts(&url, flows.path(), &["coverage"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("said in hi*"), "{table}");
    assert!(table.contains("* not yet checked by a native speaker"), "{table}");
    assert!(table.contains("hi: 0 recorded, 0 synthetic,") && table.contains("; 0 unchecked"), "{table}");
}

#[test]
fn synth_skips_a_language_espeak_ng_cannot_speak_and_says_which_voice_reads_bhojpuri() {
    if !super::cli::espeak_installed() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let work = tempfile::TempDir::new().unwrap();
    let url = migrated(&work.path().join("synth.db"));
    let flows = flows_dir();
    let santali = prompts(&url, flows.path(), &["synth", "--lang", "sat"]);
    let stdout = String::from_utf8_lossy(&santali.stdout);
    assert!(santali.status.success(), "{stdout}{}", String::from_utf8_lossy(&santali.stderr));
    assert!(stdout.contains("skipped  sat: espeak-ng has no voice for it; record its prompts"), "{stdout}");
    assert!(!stdout.contains("ok "), "{stdout}");

    let bhojpuri = prompts(&url, flows.path(), &["synth", "--lang", "bho"]);
    let stdout = String::from_utf8_lossy(&bhojpuri.stdout);
    assert!(bhojpuri.status.success(), "{stdout}{}", String::from_utf8_lossy(&bhojpuri.stderr));
    assert!(stdout.contains("voice    bho: espeak-ng has none of its own; its `hi` voice"), "{stdout}");
    assert!(stdout.contains("ok       bho/thanks: synthetic"), "{stdout}");

    let output = prompts(&url, flows.path(), &["coverage", "--json"]);
    let coverage: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cell(&coverage, "thanks", "bho")["synthetic"], true);
    assert_eq!(cell(&coverage, "thanks", "sat")["status"], "said_instead", "still no voice");
}

#[test]
fn simulate_shows_what_a_santali_caller_hears() {
    use std::io::Write;
    let flows = flows_dir();
    let mut child = sampark()
        .arg("simulate")
        .env("SAMPARK_FLOWS_DIR", flows.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"3\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("(bho, text-to-speech) भोजपुरी खातिर"), "{stdout}");
    assert!(stdout.contains("(sat, not heard: no voice reads it, record it) ᱥᱟᱱᱛᱟᱲᱤ ᱞᱟᱹᱜᱤᱫ"), "{stdout}");
    assert!(stdout.contains("(sat, said in hi, text-to-speech) धन्यवाद।"), "{stdout}");
}
