//! The `sampark` binary: `flows check` and `cases export`.

use std::process::Command;

use super::{
    helpers::{repo_path, spawn_app},
    twilio_sim::Call,
};

fn sampark() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sampark"));
    command.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("SAMPARK_CONFIG");
    command
}

#[test]
fn flows_check_passes_the_default_flow() {
    let output = sampark().args(["flows", "check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("call_flows/helpline.toml: ok"), "{stdout}");
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
    let mut call = Call::start(&app, "CA00000000000000000000000000000050", "+919800000001").await;
    for keys in ["2", "1", "19#", "305#", "1", "2"] {
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
        "id,phone,language,consent,home_state_code,home_district_code,need,recording_url,status,calls,first_call_at,last_call_at"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("1,+919800000001,bn,true,19,305,money,,queued,1,"), "{row}");
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
    let url = format!("sqlite://{}", dir.path().join("users.db").display());
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
