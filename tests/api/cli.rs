//! The `sampark` binary: `flows check` and `cases export`.

use std::process::Command;

use super::{
    helpers::{repo_path, spawn_app},
    twilio_sim::Call,
};

/// The binary, run outside the repository (nothing may depend on the
/// folder it runs in), with a data directory of nothing: each test names
/// its database.
pub fn sampark() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sampark"));
    command
        .current_dir(std::env::temp_dir())
        .env_remove("SAMPARK_CONFIG")
        .env("SAMPARK_DATA_DIR", "/nonexistent/sampark-data");
    command
}

/// A new, migrated SQLite database at `path` (`sampark migrate`, the only
/// command besides `serve` that makes one); its URL.
pub fn migrated(path: &std::path::Path) -> String {
    let url = format!("sqlite://{}", path.display());
    let output = sampark().arg("migrate").env("SAMPARK_DATABASE_URL", &url).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    url
}

#[test]
fn flows_check_passes_the_default_flow() {
    let output = sampark().args(["flows", "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("(built in)/helpline.toml: ok"), "{stdout}");
}

#[test]
fn flows_check_reports_every_problem_of_broken_files_and_fails() {
    let fixtures = repo_path("tests/fixtures/flows");
    let expectations = [
        ("dangling_edge.toml", "node `state`: next goes to `district`, which is not a node"),
        ("unreachable.toml", "node `forgotten`: is unreachable from the start node `language`"),
        ("missing_prompt.toml", "prompt `ask_village` is not in the prompt catalog"),
        ("never_ends.toml", "node `language`: no path from here reaches an end node"),
        ("silent_loop.toml", "a caller who presses nothing goes round in a loop"),
        ("not_toml.toml", "expected"),
    ];
    for (file, expected) in expectations {
        let output = sampark().args(["flows", "check"]).arg(fixtures.join(file)).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(!output.status.success(), "{file} should fail");
        assert!(stdout.contains(expected), "{file}: expected `{expected}` in:\n{stdout}");
    }
    let all = sampark()
        .args(["flows", "check"])
        .arg(fixtures.join("dangling_edge.toml"))
        .arg(repo_path("call_flows/helpline.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&all.stdout);
    assert!(!all.status.success());
    assert!(stdout.contains("helpline.toml: ok"), "good files are still reported: {stdout}");
}

#[tokio::test]
async fn cases_export_writes_csv_with_every_column() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CA00000000000000000000000000000050", "+911000000001").await;
    for keys in ["2", "1", "0", "19#", "305#", "1", "2"] {
        call.press(keys).await;
    }
    call.silence().await;
    call.hang_up().await;

    let output = sampark()
        .args(["cases", "export", "--format", "csv"])
        .env("SAMPARK_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,phone,language,consent,home_state_code,home_district_code,need,recording_url,pin_code,place_recording_url,status,calls,first_call_at,last_call_at,callback_phone"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("1,+911000000001,bn,true,19,305,money,,,,queued,1,"), "{row}");
    assert!(lines.next().is_none());
}

#[test]
fn cases_export_of_a_missing_database_is_an_error_not_an_empty_file() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nope.db").display());
    let output = sampark().args(["cases", "export"]).env("SAMPARK_DATABASE_URL", url).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot open the database"));
    assert!(!dir.path().join("nope.db").exists());
}

#[test]
fn users_are_added_with_the_password_from_standard_input_and_listed() {
    use std::io::Write;
    let dir = tempfile::TempDir::new().unwrap();
    let url = migrated(&dir.path().join("users.db"));
    let mut add = sampark()
        .args([
            "users",
            "add",
            "asha",
            "--role",
            "volunteer",
            "--states",
            "9,10",
            "--languages",
            "hi,bn",
            "--password-stdin",
        ])
        .env("SAMPARK_DATABASE_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    assert!(add.wait().unwrap().success());
    let list = sampark().args(["users", "list"]).env("SAMPARK_DATABASE_URL", &url).output().unwrap();
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains("asha\tvolunteer\tstates 9,10\tlanguages bn,hi"), "{listed}");
    let duplicate = sampark()
        .args(["users", "add", "asha", "--role", "volunteer", "--states", "9", "--languages", "hi", "--password-stdin"])
        .env("SAMPARK_DATABASE_URL", &url)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!duplicate.status.success());
    let bad_state = sampark()
        .args([
            "users",
            "add",
            "ravi",
            "--role",
            "volunteer",
            "--states",
            "25",
            "--languages",
            "hi",
            "--password-stdin",
        ])
        .env("SAMPARK_DATABASE_URL", &url)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad_state.stderr).contains("not an LGD state code"));
}

#[test]
fn users_add_refuses_a_weak_password_and_says_why() {
    use std::io::Write;
    let dir = tempfile::TempDir::new().unwrap();
    let url = migrated(&dir.path().join("users.db"));
    for (weak, why) in [("aaaaaaaaaaaaaa", "one character repeated"), ("password1234", "too easy to guess")] {
        let mut add = sampark()
            .args(["users", "add", "asha", "--role", "volunteer", "--states", "9", "--languages", "hi"])
            .arg("--password-stdin")
            .env("SAMPARK_DATABASE_URL", &url)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        add.stdin.take().unwrap().write_all(format!("{weak}\n").as_bytes()).unwrap();
        let output = add.wait_with_output().unwrap();
        assert!(!output.status.success(), "{weak}");
        assert!(String::from_utf8_lossy(&output.stderr).contains(why), "{weak}");
    }
    let list = sampark().args(["users", "list"]).env("SAMPARK_DATABASE_URL", &url).output().unwrap();
    assert!(!String::from_utf8(list.stdout).unwrap().contains("asha"), "no user was added");
}

/// `sampark prompts …` on a scratch database.
fn prompts_command(url: &str, args: &[&str]) -> std::process::Output {
    sampark().arg("prompts").args(args).env("SAMPARK_DATABASE_URL", url).output().unwrap()
}

fn coverage_cell<'a>(coverage: &'a serde_json::Value, key: &str, lang: &str) -> &'a serde_json::Value {
    let languages = coverage["languages"].as_array().unwrap();
    let column = languages.iter().position(|l| l == lang).unwrap();
    let row = coverage["prompts"].as_array().unwrap().iter().find(|r| r["key"] == key).unwrap();
    &row["cells"][column]
}

#[test]
fn prompts_import_reports_each_file_and_coverage_shows_what_is_recorded() {
    let work = tempfile::TempDir::new().unwrap();
    let url = migrated(&work.path().join("prompts.db"));
    let dir = work.path().join("recordings");
    for lang in ["hi", "or", "bn", "en"] {
        std::fs::create_dir_all(dir.join(lang)).unwrap();
    }
    std::fs::write(dir.join("hi/welcome.wav"), super::prompts::laptop_wav(440.0, 2000)).unwrap();
    std::fs::copy(repo_path("tests/fixtures/audio/tone-440hz-1500ms-44k1-stereo.mp3"), dir.join("or/consent.mp3"))
        .unwrap();
    std::fs::write(dir.join("bn/ask_state.wav"), "this is a text file with a .wav name\n".repeat(40)).unwrap();
    std::fs::write(dir.join("en/notes.txt"), "what to record next").unwrap();
    std::fs::write(dir.join("en/..hidden.wav"), super::prompts::laptop_wav(440.0, 500)).unwrap();

    let output = prompts_command(&url, &["import", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "some files were rejected: {stdout}");
    assert!(stdout.contains("ok       hi/welcome.wav: version 1 active, 2.0 s (from wav)"), "{stdout}");
    assert!(stdout.contains("ok       or/consent.mp3: version 2 active, 1.5 s (from mp3)"), "{stdout}");
    assert!(
        stdout.contains("REJECTED bn/ask_state.wav: the recording was rejected: This file is not a sound"),
        "{stdout}"
    );
    assert!(stdout.contains("REJECTED en/notes.txt: `.txt` is not an audio file"), "{stdout}");
    assert!(stdout.contains("REJECTED en/..hidden.wav:"), "{stdout}");

    // Importing the same folder again changes nothing.
    let again = prompts_command(&url, &["import", dir.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("ok       hi/welcome.wav: unchanged, version 1"));

    let output = prompts_command(&url, &["coverage", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let coverage: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hi = coverage_cell(&coverage, "welcome", "hi");
    assert_eq!(hi["status"], "recorded");
    assert_eq!(hi["synthetic"], false);
    assert!((1980..=2020).contains(&hi["duration_ms"].as_u64().unwrap()), "{hi}");
    assert_eq!(coverage_cell(&coverage, "consent", "or")["status"], "recorded");
    assert_eq!(coverage_cell(&coverage, "ask_state", "bn")["status"], "text_only");
    // The language menu plays `welcome` only in Hindi… and each language's line in every language.
    assert_eq!(coverage_cell(&coverage, "welcome", "bn")["status"], "not_used");
    assert_eq!(coverage_cell(&coverage, "language_option", "bn")["status"], "text_only");

    let table = prompts_command(&url, &["coverage"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("hi: 1 recorded, 0 synthetic,"), "{table}");
}

/// espeak-ng is installed by `scripts/test`; elsewhere the test says it is skipped.
pub fn espeak_installed() -> bool {
    let found = Command::new("espeak-ng").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("SAMPARK_REQUIRE_ESPEAK").is_some() {
        panic!("SAMPARK_REQUIRE_ESPEAK is set but espeak-ng is not installed");
    }
    found
}

#[test]
fn prompts_synth_makes_synthetic_placeholders_that_coverage_marks() {
    if !espeak_installed() {
        eprintln!("skipped: espeak-ng is not installed");
        return;
    }
    let work = tempfile::TempDir::new().unwrap();
    let url = migrated(&work.path().join("synth.db"));
    let output = prompts_command(&url, &["synth", "--lang", "hi"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("ok       hi/welcome: synthetic"), "{stdout}");
    assert!(!stdout.contains("bn/"), "only Hindi was asked for: {stdout}");

    let coverage: serde_json::Value =
        serde_json::from_slice(&prompts_command(&url, &["coverage", "--json"]).stdout).unwrap();
    let welcome = coverage_cell(&coverage, "welcome", "hi");
    assert_eq!(welcome["status"], "recorded");
    assert_eq!(welcome["synthetic"], true);
    assert!(welcome["duration_ms"].as_u64().unwrap() > 500, "{welcome}");
    assert_eq!(coverage_cell(&coverage, "language_option", "bn")["status"], "text_only");
    let hi = coverage["languages"].as_array().unwrap().iter().position(|l| l == "hi").unwrap();
    assert_eq!(coverage["totals"][hi]["text_only"], 0, "every Hindi prompt has a placeholder");

    // A second run has nothing left to make.
    let again = prompts_command(&url, &["synth", "--lang", "hi"]);
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stdout).contains("ok "));
}

#[test]
fn simulate_driven_through_stdin_completes_the_default_flow_and_prints_the_queued_case() {
    use std::io::Write;
    let mut child = sampark()
        .arg("simulate")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bengali, consent, the code (0 at the list), West Bengal, (silence,
    // then) Bankura, yes, money, a message, (silence at "another number?").
    let keys = "2\n1\n0\n19#\n.\n305#\n1\n2\nmy wages were not paid\n.\n";
    child.stdin.take().unwrap().write_all(keys.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("For English,") && stdout.contains("press 4."), "prompts are shown as text: {stdout}");
    assert!(stdout.contains("Bankura"), "the district is read back: {stdout}");
    assert!(stdout.contains("[the helpline hangs up]"), "{stdout}");
    let json = stdout.split("The call queued this case for a callback:").nth(1).expect("a queued case");
    let case: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(case["language"], "bn");
    assert_eq!(case["consent"], true);
    assert_eq!(case["home_state_code"], 19);
    assert_eq!(case["home_district_code"], 305);
    assert_eq!(case["need"], "money");
    assert_eq!(case["status"], "queued");
}

#[test]
fn simulate_queues_a_caller_who_hangs_up_early() {
    use std::io::Write;
    let mut child = sampark()
        .args(["simulate", "--caller", "+911000000777"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"1\n1\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("[you hang up]"), "{stdout}");
    let case: serde_json::Value = serde_json::from_str(stdout.split("for a callback:").nth(1).unwrap().trim()).unwrap();
    assert_eq!(case["phone"], "+911000000777");
    assert_eq!(case["language"], "hi");
    assert_eq!(case["status"], "queued");
}

/// Issue 9, item 13, in the simulator: keys are taken as a gateway takes
/// them, so keys typed past what a question took are the next question's
/// first keys (`21` answers language and consent; `19#305#` the state and
/// the district), and nothing is lost to a stray `#`.
#[test]
fn simulate_takes_keys_as_a_gateway_does() {
    use std::io::Write;
    let mut child = sampark()
        .args(["simulate", "--caller", "+911000000778"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"21\n019#305#\n1\n2\n.\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("(keys pressed earlier)"), "{stdout}");
    assert!(!stdout.contains("আমরা কোনো বোতাম টেপা পাইনি"), "no \"we did not hear any key\": {stdout}");
    let case: serde_json::Value = serde_json::from_str(stdout.split("for a callback:").nth(1).unwrap().trim()).unwrap();
    assert_eq!(case["language"], "bn");
    assert_eq!(case["consent"], true);
    assert_eq!((case["home_state_code"].as_i64(), case["home_district_code"].as_i64()), (Some(19), Some(305)));
    assert_eq!(case["need"], "money");
}

#[test]
fn the_help_names_every_role_and_a_wrong_one_is_refused_with_them() {
    let help = sampark().args(["users", "add", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[possible values: volunteer, coordinator, admin, central]"), "{help}");
    let wrong = sampark().args(["users", "add", "someone", "--role", "boss", "--password-stdin"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'boss'") && stderr.contains("volunteer, coordinator, admin, central"),
        "{stderr}"
    );
}

#[test]
fn fill_makes_nothing_unless_told_how_many_cases() {
    let output = sampark().args(["fill"]).env("SAMPARK_DATABASE_URL", "sqlite::memory:").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--cases"), "{stderr}");
}

#[test]
fn a_language_the_prompt_catalog_lacks_is_refused_and_nobody_is_added() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = migrated(&dir.path().join("users.db"));
    let add = |languages: &str| {
        let mut child = sampark()
            .args(["users", "add", "asha", "--role", "volunteer", "--states", "9", "--languages", languages])
            .arg("--password-stdin")
            .env("SAMPARK_DATABASE_URL", &url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"password-asha-kite-river\n").unwrap();
        child.wait_with_output().unwrap()
    };
    let refused = add("hi,xx");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("`xx` is not a language of the prompt catalog"), "{stderr}");
    let listed = sampark().args(["users", "list"]).env("SAMPARK_DATABASE_URL", &url).output().unwrap();
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("asha"), "nobody was added");
    let added = add("hi,bn");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = migrated(&dir.path().join("logs.db"));
    let export = sampark().args(["cases", "export"]).env("SAMPARK_DATABASE_URL", &url).output().unwrap();
    let stderr = String::from_utf8_lossy(&export.stderr);
    assert!(export.status.success(), "{stderr}");
    assert!(stderr.contains("exported"), "the export logs what it did: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "plain text, no escape codes: {stderr:?}");
}

#[test]
fn flows_cost_counts_the_keys_and_seconds_a_scripted_caller_spends() {
    let home = sampark()
        .args(["flows", "cost", "--script", "1 1 1 212# 1 1 m .", "--home-states", "10,20", "--json"])
        .output()
        .unwrap();
    assert!(home.status.success(), "{}", String::from_utf8_lossy(&home.stderr));
    let cost: serde_json::Value = serde_json::from_slice(&home.stdout).unwrap();
    assert_eq!(cost["keys"], 9, "{cost}");
    assert_eq!((cost["finished"].as_bool(), cost["queued"].as_bool()), (Some(true), Some(true)));
    assert_eq!(cost["turns"][2]["node"], "state_guess", "the number's states are offered");
    let seconds = cost["seconds"].as_f64().unwrap();
    assert!((30.0..200.0).contains(&seconds), "{seconds}");

    let silent = sampark().args(["flows", "cost", "--script", &[". "; 30].concat()]).output().unwrap();
    let table = String::from_utf8_lossy(&silent.stdout);
    assert!(table.contains("the flow ended the call; the caller is queued"), "never hung up on: {table}");

    let bad = sampark().args(["flows", "cost", "--script", "1 x"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--script: `x`"));
}
