//! One data directory: every command finds the same database wherever it is
//! run, `serve` needs nothing from the repository (flows and catalog are
//! built in), and no command but `serve` and `migrate` makes a database.
//! What must not happen: a command run in the wrong folder quietly making
//! an empty database there, so that an admin added "works" and nobody can
//! sign in.

use std::{io::Write, os::unix::fs::PermissionsExt, process::Stdio};

use super::{
    cli::sampark,
    helpers::{free_port, serve_binary, wait_up},
};

#[tokio::test]
async fn serve_outside_the_repository_and_users_add_from_elsewhere_share_one_database() {
    // Arrange: an empty folder to run in, and a data directory not made yet.
    let work = tempfile::TempDir::new().unwrap();
    let (elsewhere, data) = (work.path().join("elsewhere"), work.path().join("data"));
    std::fs::create_dir(&elsewhere).unwrap();
    let port = free_port();

    // Act: serve, from a folder with no call_flows/ or prompts/ in it.
    let env = [("SAMPARK_DATA_DIR", data.display().to_string())];
    let mut server = serve_binary(work.path(), port, &env);
    wait_up(port).await;
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("http://127.0.0.1:{port}/twilio/voice"))
        .form(&[("CallSid", "CA00000000000000000000000000000801"), ("From", "+911000000801")])
        .send()
        .await
        .unwrap();
    let twiml = answer.text().await.unwrap();
    let login = client.get(format!("http://127.0.0.1:{port}/login")).send().await.unwrap().text().await.unwrap();

    // The first admin, made from another folder with the same data directory.
    let add = sampark()
        .current_dir(&elsewhere)
        .args(["users", "add", "admin", "--role", "admin", "--password-stdin"])
        .env("SAMPARK_DATA_DIR", &data)
        .stdin(Stdio::piped())
        .output_with_stdin(b"a long password of my own\n");
    let listed = sampark().current_dir(&elsewhere).args(["users", "list"]).env("SAMPARK_DATA_DIR", &data).output();
    let _ = server.kill();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut log).unwrap();
    let _ = server.wait();

    // Assert: the built-in flow answered; the data directory holds it all.
    assert!(twiml.contains("<Gather"), "the built-in flow answers: {twiml}");
    assert!(login.contains("users add admin"), "the sign-in page says how to make the first admin");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_sampark")).unwrap();
    assert!(log.contains(&format!("{} users add admin", exe.display())), "the log names this binary: {log}");
    assert!(log.contains(&format!("SAMPARK_DATA_DIR={}", data.display())), "and this data directory: {log}");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert!(String::from_utf8_lossy(&listed.unwrap().stdout).contains("admin\tadmin"), "one database for both");
    assert!(data.join("sampark.db").exists());
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700, "callers' data: owner only");
    for folder in [work.path(), elsewhere.as_path()] {
        assert!(!folder.join("sampark.db").exists(), "nothing in the folder a command ran in");
    }
}

#[test]
fn no_command_but_serve_and_migrate_makes_a_database() {
    let work = tempfile::TempDir::new().unwrap();
    let data = work.path().join("data");
    let commands: [&[&str]; 7] = [
        &["users", "list"],
        &["users", "add", "asha", "--role", "volunteer", "--password-stdin"],
        &["users", "disable", "asha"],
        &["cases", "export"],
        &["cases", "purge", "--older-than-days", "30"],
        &["prompts", "coverage"],
        &["simulate", "--database", "sqlite:///nonexistent-dir/x.db"],
    ];
    for args in commands {
        let output = sampark()
            .current_dir(work.path())
            .args(args)
            .env("SAMPARK_DATA_DIR", &data)
            .stdin(Stdio::piped())
            .output_with_stdin(b"a long password of my own\n");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains("there is no database at"), "{args:?}: {stderr}");
        assert!(stderr.contains("sampark migrate"), "{args:?} says what makes one: {stderr}");
    }
    assert!(!data.exists(), "no command made the data directory");
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none(), "nor anything where it ran");

    let migrated = sampark().current_dir(work.path()).arg("migrate").env("SAMPARK_DATA_DIR", &data).output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let listed = sampark().current_dir(work.path()).args(["users", "list"]).env("SAMPARK_DATA_DIR", &data).output();
    assert!(listed.unwrap().status.success(), "after `migrate` the tools find it");
}

#[test]
fn flow_and_catalog_files_in_the_data_directory_are_laid_over_the_built_in_ones() {
    let work = tempfile::TempDir::new().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir_all(data.join("call_flows")).unwrap();
    std::fs::create_dir_all(data.join("prompts")).unwrap();
    // A second flow beside the built-in one, and one text changed.
    let helpline = std::fs::read_to_string(super::helpers::repo_path("call_flows/helpline.toml")).unwrap();
    let survey = helpline.replacen("id = \"helpline\"", "id = \"survey\"", 1);
    std::fs::write(data.join("call_flows/survey.toml"), survey).unwrap();
    std::fs::write(data.join("prompts/catalog.toml"), "[prompts.welcome]\nen = \"Welcome to our helpline.\"\n")
        .unwrap();
    let check = sampark().current_dir(work.path()).args(["flows", "check"]).env("SAMPARK_DATA_DIR", &data).output();
    let stdout = String::from_utf8_lossy(&check.as_ref().unwrap().stdout).into_owned();
    assert!(check.unwrap().status.success(), "{stdout}");
    assert!(stdout.contains("(built in)/helpline.toml: ok (flow `helpline`"), "{stdout}");
    assert!(stdout.contains("survey.toml: ok (flow `survey`"), "{stdout}");

    // A catalog file with a new language must give every text in it.
    // (Konkani: not one of the built-in languages.)
    std::fs::write(data.join("prompts/catalog.toml"), "[languages.kok]\nname = \"कोंकणी\"\nsay_language = \"hi-IN\"\n")
        .unwrap();
    let check = sampark().current_dir(work.path()).args(["flows", "check"]).env("SAMPARK_DATA_DIR", &data).output();
    let output = check.unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("prompt `welcome` has no `kok` text"));
}

/// `Command::output`, with `input` written to its standard input.
trait WithStdin {
    fn output_with_stdin(&mut self, input: &[u8]) -> std::process::Output;
}

impl WithStdin for std::process::Command {
    fn output_with_stdin(&mut self, input: &[u8]) -> std::process::Output {
        let mut child = self.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A command that refuses before reading closes its end: not an error here.
        let _ = child.stdin.take().unwrap().write_all(input);
        child.wait_with_output().unwrap()
    }
}
