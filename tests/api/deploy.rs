//! The service files in docs/deploy, checked by the tools that will read
//! them: `systemd-analyze verify` for the units, `caddy validate` for the
//! reverse proxy. (scripts/test installs both; elsewhere a missing tool
//! skips its test unless SAMPARK_REQUIRE_DEPLOY_TOOLS is set.)

use std::{path::Path, process::Command};

use super::helpers::repo_path;

fn tool(name: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().unwrap().status.success();
    if !found {
        assert!(std::env::var_os("SAMPARK_REQUIRE_DEPLOY_TOOLS").is_none(), "{name} is required here");
        eprintln!("skipped: no {name} on this machine");
    }
    found
}

fn unit(name: &str) -> String {
    std::fs::read_to_string(repo_path("docs/deploy").join(name)).unwrap()
}

#[test]
fn the_systemd_units_verify_with_no_warning() {
    if !tool("systemd-analyze") {
        return;
    }
    // The units name /usr/local/bin/sampark, where the docs install it;
    // here, the binary under test stands in.
    let dir = tempfile::TempDir::new().unwrap();
    let names = ["sampark.service", "sampark-backup.service", "sampark-backup.timer"];
    for name in names {
        let text = unit(name).replace("/usr/local/bin/sampark", env!("CARGO_BIN_EXE_sampark"));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let output =
        Command::new("systemd-analyze").arg("verify").args(names.map(|n| dir.path().join(n))).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "no warnings either (an unknown key is only a warning): {stderr}");
}

#[test]
fn the_unit_waits_longer_than_the_server_finishes_calls_and_names_its_data_directory() {
    let service = unit("sampark.service");
    let value = |key: &str| {
        service.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_else(|| panic!("{key}")).to_owned()
    };
    let settings = sampark::config::Settings::from_sources(None, |name| {
        (name == "SAMPARK_DATA_DIR").then(|| value("Environment").trim_start_matches("SAMPARK_DATA_DIR=").to_owned())
    })
    .unwrap();
    let timeout: u64 = value("TimeoutStopSec").parse().unwrap();
    assert!(timeout > settings.stop_grace.as_secs(), "systemd would kill calls Sampark is finishing");
    assert_eq!(settings.data_dir, Path::new("/var/lib").join(value("StateDirectory")));
    assert_eq!(value("ExecStart"), "/usr/local/bin/sampark serve");
}

#[test]
fn caddy_validates_the_caddyfile() {
    if !tool("caddy") {
        return;
    }
    let home = tempfile::TempDir::new().unwrap();
    let output = Command::new("caddy")
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(repo_path("docs/deploy/Caddyfile"))
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Valid configuration") || stderr.contains("Valid"));
}

/// The gateway pages describe uploads: no converting files by hand, no
/// restart after a new recording (both were true once).
#[test]
fn the_gateway_pages_describe_uploads_not_ffmpeg_and_restarts() {
    for entry in std::fs::read_dir(repo_path("docs/gateways")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("ffmpeg"), "{}", path.display());
        assert!(!text.contains("after adding recordings"), "{}", path.display());
        assert!(!text.contains("then restart Sampark"), "{}", path.display());
    }
    let overview = std::fs::read_to_string(repo_path("docs/gateways/README.md")).unwrap();
    assert!(overview.contains("/admin/prompts") && overview.contains("sampark prompts import"));
}
